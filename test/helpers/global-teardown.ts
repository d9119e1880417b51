export default async function globalTeardown(): Promise<void> {
  const redis = (globalThis as { __privateRedis?: { stop(): Promise<void> } }).__privateRedis;
  await redis?.stop();
}
