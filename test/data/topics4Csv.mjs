// A four-topic dataset (60 rows per label) for the distillation measurement in docs/training.md: each row has
// three words of its topic, one word of another topic and shared filler, so that no single word decides.
// Deterministic (no randomness): row i of topic t picks words by index arithmetic.
export function topics4Csv() {
  const topics = {
    sport: ['goal', 'match', 'team', 'score', 'league', 'coach', 'player', 'season', 'referee', 'stadium'],
    food: ['recipe', 'oven', 'flour', 'sauce', 'bake', 'salt', 'garlic', 'soup', 'butter', 'kitchen'],
    music: ['guitar', 'song', 'album', 'drums', 'concert', 'melody', 'singer', 'band', 'piano', 'chorus'],
    science: ['atom', 'theory', 'energy', 'cell', 'experiment', 'planet', 'molecule', 'physics', 'data', 'laboratory'],
  };
  const filler = ['today', 'again', 'the new', 'our', 'a long', 'that old', 'this week', 'my friend said the'];
  const names = Object.keys(topics);
  let csv = 'text,label\n';
  for (let i = 0; i < 60; i++) {
    names.forEach((t, k) => {
      const w = topics[t];
      const other = topics[names[(k + 1 + (i % 3)) % 4]];
      const f = filler[(i + k) % filler.length];
      csv += `"${f} ${w[i % 10]} and the ${w[(i * 3 + 1) % 10]} with a ${other[(i * 7 + k) % 10]}, then ${w[(i * 7 + 5) % 10]}",${t}\n`;
    });
  }
  return csv;
}
