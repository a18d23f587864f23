import { runMain } from '@spor/service-kit';
import { startTransitions } from './service.js';

runMain('transitions', async () => {
  const { runtime } = await startTransitions(process.env);
  runtime.installSignalHandlers();
});
