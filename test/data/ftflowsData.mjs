// Small token-classification (CoNLL) and QA (SQuAD JSON) datasets for the sidebar's fine-tuning e2e flows
// (test/e2e/ftflows.e2e.test.mjs): lower-case people, cities and jobs, 40 examples each.
const NAMES = ['alice', 'bob', 'carol', 'david', 'emma', 'frank', 'grace', 'henry', 'maria', 'peter'];
const CITIES = ['paris', 'london', 'berlin', 'madrid', 'rome', 'vienna', 'oslo', 'dublin'];
const TEMPLATES = [
  (n, c) => [n, 'B-PER', 'lives', 'O', 'in', 'O', c, 'B-LOC', '.', 'O'],
  (n, c) => [n, 'B-PER', 'moved', 'O', 'to', 'O', c, 'B-LOC', 'last', 'O', 'year', 'O', '.', 'O'],
  (n, c) => ['yesterday', 'O', n, 'B-PER', 'visited', 'O', c, 'B-LOC', '.', 'O'],
  (n, c) => [
    'the',
    'O',
    'train',
    'O',
    'from',
    'O',
    c,
    'B-LOC',
    'was',
    'O',
    'late',
    'O',
    'for',
    'O',
    n,
    'B-PER',
    '.',
    'O',
  ],
];

/** 40 lower-case sentences, one token and its tag per line, a blank line between sentences. */
export function peopleConll() {
  const out = [];
  for (let i = 0; i < 40; i++) {
    const t = TEMPLATES[i % 4](NAMES[i % 10], CITIES[(i * 3) % 8]);
    const lines = [];
    for (let k = 0; k < t.length; k += 2) lines.push(`${t[k]} ${t[k + 1]}`);
    out.push(lines.join('\n'));
  }
  return `${out.join('\n\n')}\n`;
}

/** 40 one-question paragraphs in SQuAD format (answer_start is the answer's offset in the context). */
export function placesSquad() {
  const JOBS = ['teacher', 'doctor', 'baker', 'pilot', 'farmer'];
  const paragraphs = [];
  for (let i = 0; i < 40; i++) {
    const who = NAMES[i % 10];
    const where = CITIES[(i * 3) % 8];
    const job = JOBS[i % 5];
    const context = `${who} lives in ${where} and works as a ${job} . the weather there is mild .`;
    const [question, answer] = i % 2 ? [`where does ${who} live ?`, where] : [`what does ${who} work as ?`, job];
    paragraphs.push({
      context,
      qas: [{ id: `q${i}`, question, answers: [{ text: answer, answer_start: context.indexOf(` ${answer} `) + 1 }] }],
    });
  }
  return JSON.stringify({ version: 'v1.1', data: [{ title: 'places', paragraphs }] }, null, 1);
}
