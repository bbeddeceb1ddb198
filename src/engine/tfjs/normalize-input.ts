/** Per-channel mean and standard deviation the model subtracts and divides by, inside the model. */
export interface InputNormalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** The statistics published with each data set; attacks still work in [0,1] pixel space. */
export const KNOWN_NORMALIZATIONS: Readonly<Record<string, InputNormalization>> = {
  mnist: { mean: [0.1307], std: [0.3081] },
  cifar10: { mean: [0.4914, 0.4822, 0.4465], std: [0.2471, 0.2435, 0.2616] },
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
};
