import type { TextEdit } from '../../ir/diagnostic';
import type { ModelEditor } from '../../ir/editor';
import type { ActivationFunction, NormKind } from '../../ir/layers';
import { allEdits, YamlEditor } from '../../yaml/yaml-edits';
import type { PathSegment, YamlSource } from '../../yaml/yaml-source';
import { torchActivationPath, torchNormPath } from './class-paths';

/** Quick-fix edits for a RobArch Hydra model config, written as the RobArch code expects them. */
export class HydraEditor implements ModelEditor {
  private readonly yaml: YamlEditor;

  constructor(
    source: YamlSource,
    private readonly base: readonly PathSegment[],
    private readonly kwargs: Record<string, unknown>,
  ) {
    this.yaml = new YamlEditor(source);
  }

  private at(...path: PathSegment[]): PathSegment[] {
    return [...this.base, ...path];
  }

  /** A class reference: its `path` when the entry is a mapping, else the whole entry. */
  private setClass(path: PathSegment[], classPath: string): TextEdit | undefined {
    const current = path.reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined),
      this.kwargs,
    );
    if (current && typeof current === 'object') return this.yaml.set(this.at(...path, 'path'), classPath);
    return this.yaml.set(this.at(...path), { _target_: 'hydra.utils.get_class', path: classPath });
  }

  setBlockActivation(position: number, fn: ActivationFunction): TextEdit[] | undefined {
    const path = torchActivationPath(fn);
    return path ? allEdits(this.setClass(['activation_layer', position], path)) : undefined;
  }

  setBlockNorm(position: number, norm: NormKind | null): TextEdit[] | undefined {
    const path = norm === null ? 'torch.nn.Identity' : torchNormPath(norm);
    return path ? allEdits(this.setClass(['norm_layer', position], path)) : undefined;
  }

  setStemNorm(): TextEdit[] | undefined {
    // RobArch's ConfigurableModel fixes the stem norm; there is nothing to edit in the config.
    return undefined;
  }

  setShortcutNorm(norm: NormKind): TextEdit[] | undefined {
    const path = torchNormPath(norm);
    return path ? allEdits(this.setClass(['downsample_norm'], path)) : undefined;
  }

  setSqueezeExcitation(ratio: number, activation: ActivationFunction): TextEdit[] | undefined {
    const path = torchActivationPath(activation);
    if (!path) return undefined;
    return allEdits(this.yaml.set(this.at('se_ratio'), ratio), this.setClass(['se_activation'], path));
  }

  setSqueezeExcitationActivation(activation: ActivationFunction): TextEdit[] | undefined {
    const path = torchActivationPath(activation);
    return path ? allEdits(this.setClass(['se_activation'], path)) : undefined;
  }

  setDilation(dilation: number): TextEdit[] | undefined {
    return allEdits(this.yaml.set(this.at('dilation'), dilation));
  }

  replaceStemPoolByStageStride(stage: number): TextEdit[] | undefined {
    const strides = this.kwargs.strides;
    if (!Array.isArray(strides) || strides[stage] === undefined) return undefined;
    const list = [this.yaml.set(this.at('stem_downsample_factor'), 2)];
    if (strides[stage] === 1) list.push(this.yaml.set(this.at('strides', stage), 2));
    return allEdits(...list);
  }

  setStem(width: number, kernel: number): TextEdit[] | undefined {
    if (this.kwargs.stem_patch_size) return undefined;
    const list = [this.yaml.set(this.at('stem_width'), width)];
    if (this.kwargs.stem_kernel !== kernel) list.push(this.yaml.set(this.at('stem_kernel'), kernel));
    return allEdits(...list);
  }

  removeDenseConnections(): TextEdit[] | undefined {
    return allEdits(this.yaml.set(this.at('dense_ratio'), null));
  }
}
