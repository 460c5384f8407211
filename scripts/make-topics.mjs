// A seeded 4-topic set of short paragraphs for the fine-tuning benchmark (docs/training.md, "Topics"):
//   node scripts/make-topics.mjs [--n 600] [--seed 7] [--noise 0.45] [--out .bench/topics/topics.csv]
// Each paragraph is two or three sentences from generic templates; a content word comes from the paragraph's
// topic with probability 1 - noise, otherwise from another topic or from words every topic shares ("record",
// "season", "table"…), so that no single word decides the label. Synthetic: it measures the pipeline, not
// real-world accuracy.
import * as fs from 'node:fs';
import * as path from 'node:path';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('n', '600'));
const NOISE = Number(arg('noise', '0.45'));
const out = arg('out', '.bench/topics/topics.csv');
let state = Number(arg('seed', '7')) >>> 0 || 1;
const rand = () => {
  // mulberry32
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (a) => a[Math.floor(rand() * a.length)];

const TOPICS = {
  sport: {
    nouns: [
      'team',
      'coach',
      'match',
      'league',
      'striker',
      'goalkeeper',
      'stadium',
      'tournament',
      'referee',
      'fans',
      'club',
      'player',
      'final',
      'derby',
      'squad',
    ],
    verbs: ['trained', 'scored', 'defended', 'tackled', 'celebrated', 'lost', 'won', 'substituted'],
    adjs: ['injured', 'unbeaten', 'athletic', 'competitive', 'relegated'],
  },
  food: {
    nouns: [
      'recipe',
      'oven',
      'chef',
      'flour',
      'sauce',
      'kitchen',
      'dough',
      'soup',
      'garlic',
      'butter',
      'restaurant',
      'dessert',
      'spices',
      'bakery',
      'menu',
    ],
    verbs: ['baked', 'roasted', 'seasoned', 'tasted', 'simmered', 'served', 'chopped', 'cooked'],
    adjs: ['crispy', 'savory', 'delicious', 'spicy', 'fresh'],
  },
  tech: {
    nouns: [
      'software',
      'laptop',
      'server',
      'database',
      'network',
      'processor',
      'app',
      'code',
      'engineers',
      'startup',
      'algorithm',
      'browser',
      'update',
      'chip',
      'cloud',
    ],
    verbs: ['installed', 'debugged', 'deployed', 'upgraded', 'encrypted', 'compiled', 'launched', 'crashed'],
    adjs: ['digital', 'wireless', 'open-source', 'faster', 'buggy'],
  },
  finance: {
    nouns: [
      'bank',
      'investors',
      'shares',
      'market',
      'loan',
      'interest',
      'budget',
      'profits',
      'stocks',
      'economy',
      'bonds',
      'tax',
      'inflation',
      'fund',
      'earnings',
    ],
    verbs: ['invested', 'borrowed', 'traded', 'audited', 'rallied', 'fell', 'forecast', 'lent'],
    adjs: ['quarterly', 'fiscal', 'volatile', 'profitable', 'indebted'],
  },
};
const SHARED = {
  nouns: [
    'record',
    'season',
    'table',
    'results',
    'plan',
    'team',
    'report',
    'week',
    'crowd',
    'deal',
    'news',
    'city',
    'company',
    'test',
    'change',
  ],
  verbs: ['reported', 'announced', 'expected', 'changed', 'prepared', 'reviewed', 'finished', 'started'],
  adjs: ['new', 'big', 'local', 'late', 'surprising'],
};
const TEMPLATES = [
  'the {adj} {noun} {verb} the {noun} on monday.',
  'after the {noun}, the {noun} {verb} again.',
  'everyone said the {noun} was {adj} this {noun}.',
  'the {noun} {verb} while the {noun} {verb}.',
  'a {adj} {noun} is what the {noun} needed.',
  'nobody expected the {noun} to be so {adj}.',
  'the {noun} and the {noun} {verb} before the {noun}.',
];
const names = Object.keys(TOPICS);

function word(topic, kind) {
  const r = rand();
  if (r < 1 - NOISE) return pick(TOPICS[topic][kind]);
  if (r < 1 - NOISE / 2) return pick(SHARED[kind]);
  return pick(TOPICS[pick(names.filter((n) => n !== topic))][kind]);
}

function paragraph(topic) {
  const k = 2 + Math.floor(rand() * 2);
  const out = [];
  for (let i = 0; i < k; i++)
    out.push(pick(TEMPLATES).replace(/\{(noun|verb|adj)\}/g, (_, kind) => word(topic, `${kind}s`)));
  return out.join(' ');
}

const rows = [];
for (let i = 0; i < N; i++) {
  const topic = names[i % names.length];
  rows.push(`"${paragraph(topic)}",${topic}`);
}
// Shuffle (Fisher-Yates) so that the file order says nothing.
for (let i = rows.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [rows[i], rows[j]] = [rows[j], rows[i]];
}
fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
fs.writeFileSync(out, 'text,label\n' + rows.join('\n') + '\n');
console.log(`wrote ${rows.length} paragraphs (${names.join(', ')}; noise ${NOISE}) to ${out}`);
