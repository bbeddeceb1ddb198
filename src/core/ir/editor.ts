import type { TextEdit } from './diagnostic';
import type { ActivationFunction, NormKind } from './layers';

/**
 * Format-specific edits of a model file, provided by the front end that read it. Rules ask for
 * a change in IR terms; each method returns the text edits that make it in this file, or
 * undefined when this file cannot express it.
 */
export interface ModelEditor {
  /** Activation of conv `position` (0, 1, 2) of every block. */
  setBlockActivation(position: number, fn: ActivationFunction): TextEdit[] | undefined;
  /** Norm of conv `position` of every block; null removes it. */
  setBlockNorm(position: number, norm: NormKind | null): TextEdit[] | undefined;
  setStemNorm(norm: NormKind): TextEdit[] | undefined;
  setShortcutNorm(norm: NormKind): TextEdit[] | undefined;
  /** Add (or replace) squeeze-and-excitation in every block. */
  setSqueezeExcitation(ratio: number, activation: ActivationFunction): TextEdit[] | undefined;
  setSqueezeExcitationActivation(activation: ActivationFunction): TextEdit[] | undefined;
  /** Dilation of the grouped conv, everywhere it is set. */
  setDilation(dilation: number): TextEdit[] | undefined;
  /** Remove the stem's max-pool and make stage `stage` (0-based) downsample instead. */
  replaceStemPoolByStageStride(stage: number): TextEdit[] | undefined;
  setStem(width: number, kernel: number): TextEdit[] | undefined;
  removeDenseConnections(): TextEdit[] | undefined;
}
