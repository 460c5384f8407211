// A small, clearly separable two-topic dataset (20 rows per label) shared by the trainer's unit and e2e tests.
export function topicsCsv() {
  const A = ['goal', 'match', 'team', 'score', 'league', 'coach'];
  const B = ['recipe', 'oven', 'flour', 'sauce', 'bake', 'salt'];
  let csv = 'text,label\n';
  for (let i = 0; i < 20; i++) {
    csv += `"the ${A[i % 6]} and the ${A[(i + 3) % 6]}, ${A[(i + 1) % 6]}",sport\n`;
    csv += `"the ${B[i % 6]} and the ${B[(i + 3) % 6]}, ${B[(i + 1) % 6]}",food\n`;
  }
  return csv;
}
