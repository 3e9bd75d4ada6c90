// Starts the example: `node server.js` (PORT, HOST and WORKERS from the environment).
import { start } from './app.js';

const app = await start({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
  workers: Number(process.env.WORKERS ?? 2),
  logger: { level: process.env.LOG_LEVEL ?? 'warn' },
});
console.log(`fastify-tfjs listening on ${app.url}
  upscale      curl -F image_file=@../../fixtures/finch.jpeg ${app.url}/upscale -o finch-2x.png
  OIP routes   ${app.url}/ml/v2/models/esrgan (docs: ${app.url}/ml/v2/docs)`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    console.log(`${signal}: draining`);
    await app.close();
    process.exit(0);
  });
}
