import type * as vscode from 'vscode';
import type { Services } from '../services';

/** Placeholder for the classifier-trainer sidebar (issue 4); its owner replaces this body. activate() calls it
 *  once with the shared services. */
export function registerTrainer(_context: vscode.ExtensionContext, _services: Services): void {}
