// The one parser of entity tags (IOB/BIO, BIOES, BILOU): "B-PER" begins a PER entity, "I-PER" continues one,
// "O" is outside. Used by token classification (grouping tokens into entities) and by the extension (colours);
// its strict IOB2 form (iob2Tag and the functions below it) by fine-tuning's token data and its seqeval metrics.

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

/** A tag read as strict IOB2: O, B-TYPE or I-TYPE; undefined for anything else (BIOES prefixes, a bare label). */
export function iob2Tag(label: string): { prefix: 'B' | 'I' | 'O'; type: string } | undefined {
  if (label === 'O') return { prefix: 'O', type: '' };
  const m = /^([BI])-(.+)$/.exec(label);
  return m ? { prefix: m[1] as 'B' | 'I', type: m[2] } : undefined;
}

/** Checks a tag sequence against strict IOB2: every tag is O, B-X or I-X, and I-X continues a B-X or I-X of the
 *  same type. Returns the index of the first bad tag and why, or undefined when the sequence parses. */
export function iob2Problem(tags: string[]): { index: number; reason: string } | undefined {
  let prev = 'O';
  for (let i = 0; i < tags.length; i++) {
    const t = tags[i];
    const tag = iob2Tag(t);
    if (!tag) return { index: i, reason: `tag "${t}" is not O, B-TYPE or I-TYPE` };
    if (tag.prefix === 'I' && iob2Tag(prev)?.type !== tag.type) {
      return { index: i, reason: `"${t}" follows "${prev}"; strict IOB2 starts every entity with B-${tag.type}` };
    }
    prev = t;
  }
  return undefined;
}

export interface EntitySpan {
  type: string;
  /** Word indexes [start, end). */
  start: number;
  end: number;
}

/** Entities of a strict IOB2 sequence: a B-X followed by any I-X. A stray I-X (after O or another type) starts
 *  no entity, as in seqeval's strict mode. */
export function iob2Entities(tags: string[]): EntitySpan[] {
  const out: EntitySpan[] = [];
  let i = 0;
  while (i < tags.length) {
    const tag = iob2Tag(tags[i]);
    if (tag?.prefix === 'B') {
      let j = i + 1;
      while (j < tags.length && tags[j] === `I-${tag.type}`) j++;
      out.push({ type: tag.type, start: i, end: j });
      i = j;
    } else i++;
  }
  return out;
}

/** Makes a predicted sequence valid IOB2 the way decoders usually do: an I-X that does not continue an entity of
 *  type X starts one (becomes B-X). */
export function repairIob2(tags: string[]): string[] {
  const out = tags.slice();
  for (let i = 0; i < out.length; i++) {
    const tag = iob2Tag(out[i]);
    if (tag?.prefix !== 'I') continue;
    if (i === 0 || out[i - 1] === 'O' || out[i - 1].slice(2) !== tag.type) out[i] = `B-${tag.type}`;
  }
  return out;
}
