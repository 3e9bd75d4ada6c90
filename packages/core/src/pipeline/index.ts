export { ImageClassifier, type ImageClassifierOptions } from './image-classifier';
export {
  type ImageClassifierWorkerSettings,
  imageClassifierRuntime,
} from './image-classifier-runtime';
