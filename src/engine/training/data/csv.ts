/** RFC 4180 parsing: quoted fields may hold delimiters, quotes ("" inside quotes) and line breaks; records end at
 *  LF or CRLF. Each record keeps the 1-based line it starts on, so an example can be opened in the editor. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

export function parseDelimited(text: string, delimiter: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let inQuotes = false;
  let fieldStarted = false; // distinguishes an empty last field from no field at all
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      inQuotes = true;
      fieldStarted = true;
    } else if (c === delimiter) {
      fields.push(field);
      field = '';
      fieldStarted = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      if (fieldStarted || field !== '' || fields.length) {
        fields.push(field);
        records.push({ fields, line: recordLine });
      }
      fields = [];
      field = '';
      fieldStarted = false;
      line++;
      recordLine = line;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (fieldStarted || field !== '' || fields.length) {
    fields.push(field);
    records.push({ fields, line: recordLine });
  }
  return records;
}

/** Index just past the last complete record (the last line break outside quotes): used when a file is read only
 *  up to a cap, so the cut never splits a record. Returns 0 when no record is complete. */
export function lastCompleteRecordEnd(text: string): number {
  let inQuotes = false;
  let end = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"')
      inQuotes = !inQuotes; // "" toggles twice: harmless
    else if (c === '\n' && !inQuotes) end = i + 1;
  }
  return end;
}
