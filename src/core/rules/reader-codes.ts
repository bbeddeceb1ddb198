/**
 * The reader's own diagnostics (RL1xx): problems reading or counting a model file, not guideline
 * findings. Each gets a documentation page (docs/rules/RL1NN.md) like the rules do.
 */
export interface ReaderCode {
  readonly code: string;
  readonly title: string;
  /** When it is reported. */
  readonly when: string;
  /** What the user can do about it. */
  readonly fix: string;
}

export const READER_CODES: readonly ReaderCode[] = [
  {
    code: 'RL100',
    title: 'File not read',
    when:
      'The file could not be read as a bounded, regular file: it is larger than the 4 MiB a model file may be, ' +
      'a FIFO or device, a link leaving its folder, or unreadable.',
    fix:
      'Point Robustness Lens at the model file itself (a regular file under 4 MiB); split generated code that ' +
      'holds large constant tables out of the file that builds the model.',
  },
  {
    code: 'RL101',
    title: 'Invalid YAML or Python',
    when:
      'The file does not parse: a YAML syntax error, or Python the parser cannot read. The message names the ' +
      'place the parser stopped.',
    fix:
      'Correct the syntax at the position given. While you type, counts and warnings come back as soon as the ' +
      'file parses again.',
  },
  {
    code: 'RL102',
    title: 'Not the expected schema',
    when:
      'An architecture spec (`*.arch.yaml`) or a RobArch config holds a key the schema does not allow, or ' +
      'misses one it requires. The message lists the keys allowed at that place.',
    fix:
      'Rename or remove the key; `schemas/arch-spec.schema.json` describes every key and editors with YAML ' +
      'support complete them.',
  },
  {
    code: 'RL103',
    title: 'Invalid value',
    when:
      'A value has the wrong type or is out of range (a negative width, a depth that is not an integer, a ' +
      'TF.js layer without its shape), or refers to something the file does not define.',
    fix: 'Give the value the message asks for; it is reported at the value itself.',
  },
  {
    code: 'RL104',
    title: 'Unsupported building block',
    when:
      'A RobArch config names a stem, block or layer class Robustness Lens does not model, so its parameters ' +
      'cannot be counted exactly.',
    fix:
      "Use RobArch's own classes (`Stem`, `BottleneckBlock`, `ConvBlock`), or describe the model as an " +
      'architecture spec.',
  },
  {
    code: 'RL105',
    title: 'Not a model file',
    when:
      'The file is not one of the formats read: an architecture spec, a RobArch model config, Python that ' +
      'builds a PyTorch or Keras model, or a TF.js `model.json`.',
    fix: 'Nothing, if the file is not a model; otherwise check the format the message expects.',
  },
  {
    code: 'RL106',
    title: 'Python parser not loaded',
    when:
      'The Python grammar (a WebAssembly file shipped with the extension) was not loaded when the file was ' +
      'read: an installation problem, not a problem of your file.',
    fix: 'Reinstall the extension, or run **Robustness Lens: Restart Server**; report it if it persists.',
  },
  {
    code: 'RL107',
    title: 'Model not statically readable',
    when:
      'Building the model needs something the static reader does not evaluate (a call into another ' +
      'library, a value computed at run time, an unsupported layer). The model is reported "unknown" or "at ' +
      'least N" rather than given a number that could be wrong.',
    fix:
      'Pass the values as literals where the model is built, or use **Robustness Lens: Count Parameters ' +
      'Exactly with PyTorch** to count it with your own PyTorch.',
  },
  {
    code: 'RL108',
    title: 'No model found',
    when:
      'A Python file imports PyTorch or Keras but builds no model the reader can instantiate: no ' +
      '`nn.Module` constructible with its defaults, no argument-free function returning one, no module-level ' +
      'instance.',
    fix: 'Add an argument-free factory (`def resnet18(): return ResNet(...)`) or defaults to the constructor.',
  },
  {
    code: 'RL109',
    title: 'Factory result unknown',
    when:
      'An argument-free function returns a model the reader cannot follow statically; it is listed but not ' +
      'counted.',
    fix:
      'Return the model class directly from the function, or count it with **Count Parameters Exactly ' +
      'with PyTorch**.',
  },
  {
    code: 'RL110',
    title: 'Assumption made',
    when:
      "A value the count needs is not stated, so a documented default was used (ImageNet's 1000 classes for " +
      'an undefined `num_classes`, channels-last for a TF.js input). The message says which.',
    fix: 'State the value in the file if the default is not what you meant.',
  },
  {
    code: 'RL111',
    title: 'Model too large to analyse',
    when:
      'The file asks for more stages or blocks than an analysis allows (20,000 each); nothing is built, so the ' +
      'editor stays responsive.',
    fix: 'Check the depths for a typo; real image classifiers have far fewer blocks.',
  },
  {
    code: 'RL112',
    title: 'Analysis failed',
    when: 'Reading the file raised an error the reader did not expect. The message gives the reason.',
    fix: 'Report it with the file (or a smaller one that shows it); the rest of the workspace is unaffected.',
  },
  {
    code: 'RL113',
    title: 'Analysis stopped',
    when:
      'The analysis of this version of the file ran past its time or memory budget and was stopped; the ' +
      'language server keeps working for other files.',
    fix: 'Edit the file (each new version is analysed afresh) or split very large generated models.',
  },
  {
    code: 'RL114',
    title: 'Named model not found',
    when:
      'A model named with `--model` or in the `models` list of `robustness-lens.toml` is not something the file ' +
      'defines, does not parse as one Python expression, or does not give an `nn.Module` when read statically.',
    fix:
      "Name a class or factory the file defines, with constant arguments: `get_model('ra_wrn70_16')`. Names in " +
      'the configuration apply only to files that define them.',
  },
  {
    code: 'RL120',
    title: 'Invalid configuration file',
    when:
      '`robustness-lens.toml` or the `[tool.robustness-lens]` table of `pyproject.toml` does not parse or holds ' +
      'an unknown key or value (`select`, `extend-select`, `ignore`, `severity`, `budget`, `models`).',
    fix: "Correct the line the message points at; until then the file's settings are not applied.",
  },
];

export function readerCodeByCode(code: string): ReaderCode | undefined {
  return READER_CODES.find((c) => c.code === code);
}

/** docs/rules/RL1NN.md. */
export function readerCodeDocMarkdown(entry: ReaderCode): string {
  return `# ${entry.code}: ${entry.title}

A problem reading the model file, reported by Robustness Lens itself (codes RL1xx), not a RobArch guideline
finding (RA0NN). Until it is resolved, counts and guideline warnings for the part of the file concerned are
missing or marked "unknown" / "at least": Robustness Lens never prints a number it cannot prove.

## When it is reported

${entry.when}

## What to do

${entry.fix}

## Silencing

RL codes are not suppressed by comments: they say the file was not (fully) read. Guideline findings are:
\`# robustness-lens: ignore[RA011]\` on a line, \`# robustness-lens: ignore-file[RA011]\` for a whole file.
`;
}
