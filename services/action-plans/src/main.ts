import { runMain } from '@spor/service-kit';
import { startActionPlans } from './service.js';

runMain('action-plans', async () => {
  const { runtime } = await startActionPlans(process.env);
  runtime.installSignalHandlers();
});
