import { getInferApp } from '../../../lib/infer-service';

// Every OIP REST route under /api: /api/v2/health/ready, /api/v2/models/mobilenet/infer, ...
// onnxruntime-node and sharp are native modules: Node.js runtime only, never the edge.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** `GET /api/v2/...`: health, server and model metadata, docs. */
export async function GET(request: Request): Promise<Response> {
  const { handlers } = await getInferApp();
  return handlers.GET(request);
}

/** `POST /api/v2/...`: inference (JSON or binary tensor extension). */
export async function POST(request: Request): Promise<Response> {
  const { handlers } = await getInferApp();
  return handlers.POST(request);
}
