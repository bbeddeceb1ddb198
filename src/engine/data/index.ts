// The engine's data sets: types, helpers and readers.
export {
  batchOf,
  imageSize,
  shuffledOrder,
  take,
  type Batch,
  type Dataset,
  type DatasetSplit,
  type ImageShape,
} from './dataset';
export { DatasetError } from './dataset-error';
export { readMnistIdx, type MnistIdxFiles, type MnistIdxOptions } from './mnist-idx';
export { readCifar10, readCifar100 } from './cifar';
export { readImageFolder } from './image-folder';
export { defaultBundledMnistDir, loadBundledMnist } from './bundled-mnist';
export { BUNDLED_MNIST, openDataset, type OpenDatasetOptions } from './open-dataset';
