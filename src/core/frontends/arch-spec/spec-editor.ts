import type { TextEdit } from '../../ir/diagnostic';
import type { ModelEditor } from '../../ir/editor';
import type { ActivationFunction, NormKind } from '../../ir/layers';
import { allEdits, YamlEditor } from '../../yaml/yaml-edits';
import type { YamlSource } from '../../yaml/yaml-source';
import type { ArchSpec } from './spec-types';

const DEFAULT_NORMS = ['batch', 'batch', 'batch'];
const DEFAULT_ACTIVATIONS = ['relu', 'relu', 'relu'];

/** Quick-fix edits for an architecture spec file. */
export class SpecEditor implements ModelEditor {
  private readonly yaml: YamlEditor;

  constructor(
    source: YamlSource,
    private readonly spec: ArchSpec,
  ) {
    this.yaml = new YamlEditor(source);
  }

  /** One entry of a per-conv list; writes the whole list when the file relies on its default. */
  private setListEntry(key: 'norms' | 'activations', position: number, value: string): TextEdit[] | undefined {
    const current = this.spec.block[key];
    if (current) return allEdits(this.yaml.set(['block', key, position], value));
    const list = [...(key === 'norms' ? DEFAULT_NORMS : DEFAULT_ACTIVATIONS)];
    list[position] = value;
    return allEdits(this.yaml.set(['block', key], list));
  }

  setBlockActivation(position: number, fn: ActivationFunction): TextEdit[] | undefined {
    return this.setListEntry('activations', position, fn);
  }

  setBlockNorm(position: number, norm: NormKind | null): TextEdit[] | undefined {
    return this.setListEntry('norms', position, norm ?? 'none');
  }

  setStemNorm(norm: NormKind): TextEdit[] | undefined {
    return allEdits(this.yaml.set(['stem', 'norm'], norm));
  }

  setShortcutNorm(norm: NormKind): TextEdit[] | undefined {
    return allEdits(this.yaml.set(['block', 'shortcut_norm'], norm));
  }

  setSqueezeExcitation(ratio: number, activation: ActivationFunction): TextEdit[] | undefined {
    return allEdits(this.yaml.set(['block', 'se'], { ratio, activation }));
  }

  setSqueezeExcitationActivation(activation: ActivationFunction): TextEdit[] | undefined {
    return allEdits(this.yaml.set(['block', 'se', 'activation'], activation));
  }

  setDilation(dilation: number): TextEdit[] | undefined {
    const list: (TextEdit | undefined)[] = [];
    if (this.spec.block.dilation !== undefined) list.push(this.yaml.set(['block', 'dilation'], dilation));
    this.spec.stages.forEach((stage, i) => {
      if (stage.dilation !== undefined) list.push(this.yaml.set(['stages', i, 'dilation'], dilation));
    });
    return allEdits(...list);
  }

  replaceStemPoolByStageStride(stage: number): TextEdit[] | undefined {
    const target = this.spec.stages[stage];
    if (!target) return undefined;
    const list = [this.yaml.set(['stem', 'max_pool'], false)];
    if (target.stride === 1) list.push(this.yaml.set(['stages', stage, 'stride'], 2));
    return allEdits(...list);
  }

  setStem(width: number, kernel: number): TextEdit[] | undefined {
    if (this.spec.stem.patch) return undefined;
    const list = [this.yaml.set(['stem', 'width'], width)];
    if ((this.spec.stem.kernel ?? 7) !== kernel) list.push(this.yaml.set(['stem', 'kernel'], kernel));
    return allEdits(...list);
  }

  removeDenseConnections(): TextEdit[] | undefined {
    return allEdits(this.yaml.set(['block', 'dense_ratio'], 0));
  }
}
