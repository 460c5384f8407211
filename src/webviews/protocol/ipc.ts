// One typed message shape for every webview: `{ method: 'scope/name', params }`. Each feature's protocol file
// declares its messages with `message<P>(method)`; host and app import the same declarations, so a renamed
// field breaks both builds. Guards check the method and the params' shape at the trust boundary.

export interface IpcMessage<P = unknown> {
  method: string;
  params: P;
}

export interface MessageType<P> {
  readonly method: string;
  is(msg: unknown): msg is IpcMessage<P>;
  create(params: P): IpcMessage<P>;
}

/** Declares a message. `check` validates params coming from the other side (defaults to "is an object"). */
export function message<P>(method: string, check: (p: unknown) => boolean = isObject): MessageType<P> {
  return {
    method,
    is(msg: unknown): msg is IpcMessage<P> {
      return (
        isObject(msg) &&
        (msg as unknown as IpcMessage).method === method &&
        check((msg as unknown as IpcMessage).params)
      );
    },
    create(params: P): IpcMessage<P> {
      return { method, params };
    },
  };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isOffset(v: unknown): v is [number, number] {
  return Array.isArray(v) && v.length === 2 && v.every((n) => Number.isInteger(n) && n >= 0) && v[0] <= v[1];
}
