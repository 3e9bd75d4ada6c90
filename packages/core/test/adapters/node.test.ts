import { createServer } from 'node:http';
import { createNodeHandler } from '@infer/core/node';
import { runAdapterConformance } from '@infer/core/testing';
import { listen } from './listen';

runAdapterConformance({
  name: 'node:http (createNodeHandler)',
  start: ({ service, maxBodySize }) =>
    listen(createServer(createNodeHandler(service, { maxBodySize }))),
});

runAdapterConformance({
  name: 'node:http under prefix /ml',
  start: ({ service, maxBodySize }) =>
    listen(createServer(createNodeHandler(service, { maxBodySize, prefix: '/ml/' })), '/ml'),
});
