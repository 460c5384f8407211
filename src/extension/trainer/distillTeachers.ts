// Which workspace folders can be a distillation teacher (no VS Code API here: tested in plain Node).

/** True when a config.json describes a sequence classifier (what a teacher must be). */
export function isClassifierConfig(config: unknown): boolean {
  if (typeof config !== 'object' || config === null) return false;
  const c = config as { architectures?: unknown; id2label?: unknown };
  const arch = Array.isArray(c.architectures) && typeof c.architectures[0] === 'string' ? c.architectures[0] : '';
  return /ForSequenceClassification$/.test(arch) && typeof c.id2label === 'object' && c.id2label !== null;
}
