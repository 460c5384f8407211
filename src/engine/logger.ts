/** The engine logs through this interface; the CLI writes to stderr when verbose, the extension to its output
 *  channel. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
