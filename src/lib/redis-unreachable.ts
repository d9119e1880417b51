/**
 * Redis did not answer in time, or refused us (redis-reach.ts): the message names the address
 * (no credentials) and the error code. Its own file, free of ioredis, so that the CLI's entry can
 * recognise it without loading the Redis client (`chatops --help` and `validate` never do).
 */
export class RedisUnreachableError extends Error {}
