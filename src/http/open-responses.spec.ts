import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { OpenResponses } from './open-responses.js';

const newResponse = () => new ServerResponse(new IncomingMessage(new Socket()));

describe('OpenResponses', () => {
  it('lists the responses not yet closed, whichever closes first (newest, oldest or one between)', () => {
    const open = new OpenResponses();
    const [a, b, c, d] = [newResponse(), newResponse(), newResponse(), newResponse()];
    for (const response of [a, b, c, d]) open.add(response);
    expect([...open]).toEqual([d, c, b, a]);

    c.emit('close');
    expect([...open]).toEqual([d, b, a]);
    d.emit('close');
    expect([...open]).toEqual([b, a]);
    a.emit('close');
    expect([...open]).toEqual([b]);

    const e = newResponse();
    open.add(e);
    expect([...open]).toEqual([e, b]);
    b.emit('close');
    e.emit('close');
    expect([...open]).toEqual([]);
  });

  it('lets a closed response go (a second close changes nothing)', () => {
    const open = new OpenResponses();
    const [a, b] = [newResponse(), newResponse()];
    open.add(a);
    open.add(b);
    a.emit('close');
    a.emit('close');
    expect([...open]).toEqual([b]);
  });
});
