'use client';

import { createClient, InferClientError, textOf } from '@infer/client';
import { type ChangeEvent, useEffect, useId, useState } from 'react';
import { mobilenetSchema } from '../lib/mobilenet-schema';

/** One class of the answer. */
interface Prediction {
  label: string;
  probability: number;
}

type State =
  | { kind: 'idle' }
  | { kind: 'running' }
  | { kind: 'done'; predictions: Prediction[]; ms: number }
  | { kind: 'error'; message: string };

/**
 * The app's OIP routes, same origin: `app/api/[...infer]/route.ts` mounts them under `/api`.
 * The schema types `infer()`: `image` takes bytes, `outputs.probability.data` is a
 * Float32Array. The first request waits for the model to load, hence the generous deadline.
 */
const mobilenet = createClient({ baseUrl: '/api', timeoutMs: 60_000 }).model(
  'mobilenet',
  mobilenetSchema,
);

/**
 * Sends the encoded image as one BYTES element and reads the top 5 back. The bytes are not
 * text, so the client sends them with the binary tensor extension: no base64 on the way.
 */
async function classify(image: Uint8Array): Promise<Prediction[]> {
  const { outputs } = await mobilenet.infer({ image }, { outputs: ['label', 'probability'] });
  const probabilities = outputs.probability.data;
  return textOf(outputs.label).map((label, index) => ({
    label,
    probability: probabilities[index] ?? 0,
  }));
}

/** The server's own words for a refused request (`{"error": ...}`), else the error's message. */
function messageOf(error: unknown): string {
  if (InferClientError.isInstance(error)) return error.serverMessage ?? error.message;
  return error instanceof Error ? error.message : String(error);
}

const percent = (probability: number) =>
  probability < 0.0005 ? '<0.1%' : `${(probability * 100).toFixed(1)}%`;

/** The upload form and the answer drawn as horizontal bars. */
export function Classifier() {
  const inputId = useId();
  const [preview, setPreview] = useState<string | undefined>();
  const [state, setState] = useState<State>({ kind: 'idle' });

  // The preview is an object URL of the picked file; let it go when the next one replaces it.
  useEffect(() => {
    return () => {
      if (preview) URL.revokeObjectURL(preview);
    };
  }, [preview]);

  async function onChange(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file) return;
    setState({ kind: 'running' });
    setPreview(URL.createObjectURL(file));
    try {
      const image = new Uint8Array(await file.arrayBuffer());
      const started = performance.now();
      const predictions = await classify(image);
      setState({ kind: 'done', predictions, ms: performance.now() - started });
    } catch (error) {
      setState({ kind: 'error', message: messageOf(error) });
    }
  }

  return (
    <section className="classifier">
      <form className="picker" onSubmit={(event) => event.preventDefault()}>
        <label htmlFor={inputId}>Image (JPEG, PNG, WebP, GIF)</label>
        <input
          id={inputId}
          data-testid="image-input"
          type="file"
          accept="image/*"
          onChange={onChange}
          disabled={state.kind === 'running'}
        />
      </form>

      <div className="result">
        {preview && (
          // biome-ignore lint/performance/noImgElement: a local object URL, nothing to optimise
          <img className="preview" src={preview} alt="The picked file" data-testid="preview" />
        )}
        <div aria-live="polite" aria-busy={state.kind === 'running'} className="answer">
          {state.kind === 'running' && <p className="status">Classifying…</p>}
          {state.kind === 'error' && (
            <p className="error" role="alert" data-testid="error">
              {state.message}
            </p>
          )}
          {state.kind === 'done' && (
            <>
              <h2>Top {state.predictions.length}</h2>
              <ol className="predictions" data-testid="predictions">
                {state.predictions.map(({ label, probability }) => (
                  <li key={label} data-testid="prediction">
                    <div className="row">
                      <span className="label" data-testid="prediction-label">
                        {label}
                      </span>
                      <span className="value" data-testid="prediction-probability">
                        {percent(probability)}
                      </span>
                    </div>
                    <meter
                      className="bar"
                      min={0}
                      max={1}
                      value={probability}
                      aria-label={label}
                      aria-valuetext={percent(probability)}
                    />
                  </li>
                ))}
              </ol>
              <p className="timing">Answered in {Math.round(state.ms)} ms.</p>
            </>
          )}
        </div>
      </div>
    </section>
  );
}
