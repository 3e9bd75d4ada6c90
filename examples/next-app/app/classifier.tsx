'use client';

import { type ChangeEvent, useId, useState } from 'react';

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

interface OutputJSON {
  name: string;
  data: unknown[];
}

const MODEL_URL = '/api/v2/models/mobilenet/infer';

function readAsBase64(file: File): Promise<{ dataUrl: string; base64: string }> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(reader.error ?? new Error('could not read the file'));
    reader.onload = () => {
      const dataUrl = String(reader.result);
      resolve({ dataUrl, base64: dataUrl.slice(dataUrl.indexOf(',') + 1) });
    };
    reader.readAsDataURL(file);
  });
}

/** Sends one encoded image as a BYTES element (base64 text) and reads the top-5 back. */
async function classify(base64: string): Promise<Prediction[]> {
  const response = await fetch(MODEL_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [base64] }],
      outputs: [{ name: 'label' }, { name: 'probability' }],
    }),
  });
  const body = (await response.json()) as { outputs?: OutputJSON[]; error?: string };
  if (!response.ok || !body.outputs) {
    throw new Error(body.error ?? `the server answered ${response.status}`);
  }
  const labels = body.outputs.find((output) => output.name === 'label')?.data ?? [];
  const probabilities = body.outputs.find((output) => output.name === 'probability')?.data ?? [];
  return labels.map((label, index) => ({
    label: String(label),
    probability: Number(probabilities[index] ?? 0),
  }));
}

const percent = (probability: number) =>
  probability < 0.0005 ? '<0.1%' : `${(probability * 100).toFixed(1)}%`;

/** The upload form and the answer drawn as horizontal bars. */
export function Classifier() {
  const inputId = useId();
  const [preview, setPreview] = useState<string | undefined>();
  const [state, setState] = useState<State>({ kind: 'idle' });

  async function onChange(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file) return;
    setState({ kind: 'running' });
    try {
      const { dataUrl, base64 } = await readAsBase64(file);
      setPreview(dataUrl);
      const started = performance.now();
      const predictions = await classify(base64);
      setState({ kind: 'done', predictions, ms: performance.now() - started });
    } catch (error) {
      setState({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
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
          // biome-ignore lint/performance/noImgElement: a local data URL, nothing to optimise
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
