import { describe, expect, it } from 'vitest';
import {
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
  UnprocessableEntityError,
  errorFromBody,
  isSerializedError,
  serializeError,
  toAPIError,
  type ErrorBody,
} from '../../src/protocol/errors.js';

const body = (over: Partial<ErrorBody> = {}): ErrorBody => ({
  message: 'something', type: 'invalid_request_error', param: 'x', code: 'c', ...over,
});

describe('errorFromBody', () => {
  it.each([
    [400, BadRequestError],
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [409, ConflictError],
    [422, UnprocessableEntityError],
    [429, RateLimitError],
    [500, InternalServerError],
    [503, ServiceUnavailableError],
  ] as const)('rebuilds status %i as %o', (status, Cls) => {
    const err = errorFromBody(status, body({ type: 't', param: 'messages[1]', code: 'k', message: 'm' }));
    expect(err).toBeInstanceOf(Cls);
    expect(err).toBeInstanceOf(APIError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(Cls.name);
    expect(err.status).toBe(status);
    expect(err.toBody()).toEqual({ message: 'm', type: 't', param: 'messages[1]', code: 'k' });
  });

  it('keeps an unmapped status as a plain APIError', () => {
    const err = errorFromBody(418, body());
    expect(err.constructor).toBe(APIError);
    expect(err.status).toBe(418);
    expect(err.param).toBe('x');
  });
});

describe('error defaults', () => {
  it.each([
    [new BadRequestError('m'), 400, 'invalid_request_error'],
    [new AuthenticationError('m'), 401, 'authentication_error'],
    [new PermissionDeniedError('m'), 403, 'permission_error'],
    [new NotFoundError('m'), 404, 'not_found_error'],
    [new RateLimitError('m'), 429, 'rate_limit_error'],
    [new InternalServerError('m'), 500, 'server_error'],
    [new ServiceUnavailableError('m'), 503, 'server_error'],
  ] as const)('%o has status %i and type %s, null param and code', (err, status, type) => {
    expect(err.status).toBe(status);
    expect(err.toEnvelope()).toEqual({ error: { message: 'm', type, param: null, code: null } });
  });
});

describe('serializeError / toAPIError', () => {
  it('round-trips a typed error through structured clone', () => {
    const original = new RateLimitError('The queue is full.', { code: 'queue_full' });
    const wire = structuredClone(serializeError(original));
    expect(wire).toEqual({
      status: 429,
      error: { message: 'The queue is full.', type: 'rate_limit_error', param: null, code: 'queue_full' },
    });
    expect(isSerializedError(wire)).toBe(true);
    const rebuilt = toAPIError(wire);
    expect(rebuilt).toBeInstanceOf(RateLimitError);
    expect(rebuilt.status).toBe(429);
    expect(rebuilt.toBody()).toEqual(original.toBody());
    expect(rebuilt.message).toBe(original.message);
  });

  it('round-trips a 400 with its param', () => {
    const rebuilt = toAPIError(structuredClone(serializeError(new BadRequestError('bad', { param: 'messages[0].role', code: 'invalid_value' }))));
    expect(rebuilt).toBeInstanceOf(BadRequestError);
    expect(rebuilt.param).toBe('messages[0].role');
    expect(rebuilt.code).toBe('invalid_value');
  });

  it('returns an APIError unchanged', () => {
    const err = new NotFoundError('gone', { param: 'model' });
    expect(toAPIError(err)).toBe(err);
  });

  it.each([
    ['an Error', new TypeError('boom'), 'boom'],
    ['a string', 'kaput', 'kaput'],
    ['an Error without message', new Error(''), 'Internal error'],
  ])('turns %s into a 500 InternalServerError', (_name, thrown, message) => {
    const err = toAPIError(thrown);
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err.status).toBe(500);
    expect(err.type).toBe('server_error');
    expect(err.message).toBe(message);
    expect(serializeError(thrown).status).toBe(500);
  });

  it('turns odd throwables (null, objects) into 500s too', () => {
    for (const thrown of [null, undefined, 42, { status: 'nope' }, { status: 400 }]) {
      const err = toAPIError(thrown);
      expect(err).toBeInstanceOf(InternalServerError);
      expect(typeof err.message).toBe('string');
    }
  });

  it('isSerializedError rejects look-alikes', () => {
    expect(isSerializedError({ status: 400, error: { message: 'm' } })).toBe(true);
    expect(isSerializedError({ status: '400', error: { message: 'm' } })).toBe(false);
    expect(isSerializedError({ status: 400 })).toBe(false);
    expect(isSerializedError(new Error('x'))).toBe(false);
  });
});
