import * as Comlink from 'comlink';
import { isSerializedError, serializeError, toAPIError } from './errors.js';

/**
 * Comlink turns thrown errors into bare `Error`s with a message. Both ends install this
 * so a rejected call arrives as the same typed APIError (status, type, param, code).
 */
let installed = false;

export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  Comlink.transferHandlers.set('throw', {
    canHandle: (value: unknown): value is { value: unknown } => isThrown(value),
    serialize: ({ value }: { value: unknown }) => [serializeError(value), []],
    deserialize: (value: unknown) => {
      throw isSerializedError(value) ? toAPIError(value) : value;
    },
  } as Comlink.TransferHandler<{ value: unknown }, unknown>);
}

/** Comlink marks thrown values with a symbol it does not export. */
function isThrown(value: unknown): value is { value: unknown } {
  return (
    typeof value === 'object' && value !== null &&
    Object.getOwnPropertySymbols(value).some((s) => s.description === 'Comlink.thrown')
  );
}
