// The one parser of entity tags (IOB/BIO, BIOES, BILOU): "B-PER" begins a PER entity, "I-PER" continues one,
// "O" is outside. Used by token classification (grouping tokens into entities) and by the extension (colours).

export interface Tag {
  /** B: begins an entity (B-, S- and U- single-token tags too); I: continues one (I-, E-, L-); O: outside. */
  bio: 'B' | 'I' | 'O';
  /** The entity type ("PER"); the label itself when it has no prefix; "O" for O. */
  type: string;
}

export function parseTag(label: string): Tag {
  if (label === 'O') return { bio: 'O', type: 'O' };
  const m = /^([BIESLU])-(.+)$/.exec(label);
  if (!m) return { bio: 'B', type: label };
  return { bio: m[1] === 'I' || m[1] === 'E' || m[1] === 'L' ? 'I' : 'B', type: m[2] };
}

/** The entity type of a tag: "B-PER" → "PER". */
export function entityType(label: string): string {
  return parseTag(label).type;
}
