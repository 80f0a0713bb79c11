import { afterAll } from 'vitest';
import { removeMadeProjects } from './project.js';

// Runs before every test file: the project directories its tests made go when the file ends.
afterAll(removeMadeProjects);
