'use strict';
// Ablation for bench/dropin.mjs, not part of the package: ws's own Sender with one change, the
// socket corked for the rest of the tick on each send (what wsframe's codec-mode sender does),
// so the table shows how much of the codec mode's gain is write batching alone.
const Module = require('node:module');
const path = require('node:path');

const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === './sender' && parent && /[\\/]node_modules[\\/]ws[\\/]lib[\\/]websocket\.js$/.test(parent.filename)) {
    const Sender = load.call(this, path.join(path.dirname(parent.filename), 'sender.js'), parent, isMain);
    return class CorkingSender extends Sender {
      sendFrame(list, cb) {
        if (!this._corked) {
          this._corked = true;
          this._socket.cork();
          process.nextTick(() => {
            this._corked = false;
            this._socket.uncork();
          });
        }
        super.sendFrame(list, cb);
      }
    };
  }
  return load.call(this, request, parent, isMain);
};
globalThis[Symbol.for('wsframe.bench-cork-only')] = true;
