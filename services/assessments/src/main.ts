import { runMain } from '@spor/service-kit';
import { startAssessments } from './service.js';

runMain('assessments', async () => {
  const { runtime } = await startAssessments(process.env);
  runtime.installSignalHandlers();
});
