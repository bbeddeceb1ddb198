/** The language server's state as the status item shows it (no editor API here: tests read it). */
export type ServerState = 'starting' | 'running' | 'stopped';

export interface ServerStatusLook {
  readonly text: string;
  /** Markdown; its command links are the two this extension trusts in the tooltip. */
  readonly tooltip: string;
  /** Shown on an error background, whatever file is active. */
  readonly alarming: boolean;
}

export const SHOW_OUTPUT_COMMAND = 'robustnessLens.showOutput';
export const RESTART_SERVER_COMMAND = 'robustnessLens.restartServer';

const ACTIONS = `[Show Output](command:${SHOW_OUTPUT_COMMAND}) · [Restart Server](command:${RESTART_SERVER_COMMAND})`;

const LOOKS: Record<ServerState, { icon: string; sentence: string }> = {
  starting: { icon: '$(sync~spin)', sentence: 'the language server is starting' },
  running: { icon: '$(check)', sentence: 'the language server is running: counts and guideline warnings are live' },
  stopped: { icon: '$(error)', sentence: 'the language server has stopped: no counts or warnings until it restarts' },
};

/** What the status item says for `state`; `detail` (why it stopped, say) follows the sentence. */
export function describeServerState(state: ServerState, detail?: string): ServerStatusLook {
  const look = LOOKS[state];
  const why = detail ? ` (${detail})` : '';
  return {
    text: `${look.icon} Robustness Lens`,
    tooltip: `**Robustness Lens**: ${look.sentence}${why}.\n\n${ACTIONS}`,
    alarming: state === 'stopped',
  };
}
