import { runAnalysisWorker } from './analysis-worker';
import { startLanguageServer } from './language-server';

// One bundle, two roles: the language server, and the analysis process it forks (the same file
// with --analysis-worker), which reads model files so that no file can stop the server.
if (process.argv.includes('--analysis-worker')) runAnalysisWorker();
else startLanguageServer();
