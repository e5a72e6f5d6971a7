// The scenarios, in the order they run. `trusted` picks the VS Code window they run in:
// trusted ones share one window, in order; untrusted ones get a second code-server with
// workspace trust enabled (see run.mjs).
import profileBank from './1-profile-bank.mjs';
import goToSource from './2-go-to-source.mjs';
import stopForever from './3-stop-profiling.mjs';
import openTrace from './4-open-trace.mjs';
import untrusted from './5-untrusted-workspace.mjs';
import asyncioOrders from './6-asyncio.mjs';

export const scenarios = [profileBank, goToSource, stopForever, openTrace, untrusted, asyncioOrders];
