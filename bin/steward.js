#!/usr/bin/env node
import { main } from '../dist/bundle/steward.js';

process.exitCode = await main(process.argv);
