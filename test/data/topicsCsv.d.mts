// Types for topicsCsv.mjs, which stays JavaScript because the e2e tests (plain Node) import it too.
export function topicsCsv(): string;
