// Worker methods for the classifier trainer (filled in by the training module).
import type { Method } from '../worker/methods';

export const trainingMethods: Record<string, Method> = {};
