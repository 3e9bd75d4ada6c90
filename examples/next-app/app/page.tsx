import { Classifier } from './classifier';

export default function Home() {
  return (
    <main className="page">
      <header>
        <h1>What is in this picture?</h1>
        <p className="lead">
          Pick a photo. It is sent to <code>POST /api/v2/models/mobilenet/infer</code> (Open
          Inference Protocol), where MobileNetV2 runs on ONNX Runtime inside this Next.js app, and
          the five most likely ImageNet classes come back.
        </p>
      </header>
      <Classifier />
    </main>
  );
}
