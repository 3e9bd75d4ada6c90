// Starts the example: `node server.js` (PORT and HOST from the environment).
import { start } from './app.js';

const app = await start({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
});
console.log(`express-onnx listening on ${app.url}
  app page     ${app.url}/
  upload       curl -F image_file=@../../fixtures/finch.jpeg ${app.url}/classify
  OIP routes   ${app.url}/ml/v2/models/mobilenet (docs: ${app.url}/ml/v2/docs)`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    console.log(`${signal}: draining`);
    await app.close();
    process.exit(0);
  });
}
