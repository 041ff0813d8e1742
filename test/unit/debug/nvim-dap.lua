-- The done-when path through a real Neovim and nvim-dap (not run by npm test: it needs both).
-- Checked with Debian's Neovim 0.7.2 and nvim-dap 0.6.0 (the last release for 0.7):
--   nvim --headless -u NONE -i NONE -c 'luafile test/unit/debug/nvim-dap.lua'   (from the repository root, after npm run build)
-- NVIM_DAP: the plugin's folder (default /tmp/nvim-dap). It writes what it saw to /tmp/nvim-dap-result.txt.
vim.opt.rtp:append(os.getenv('NVIM_DAP') or '/tmp/nvim-dap')
local root = vim.fn.getcwd()
local dap = require('dap')
dap.adapters['gradient-lens'] = { type = 'executable', command = 'node', args = { root .. '/dist/cli.js', 'dap' } }
local out = io.open('/tmp/nvim-dap-result.txt', 'w')
local function log(s) out:write(s .. '\n'); out:flush() end
vim.cmd('edit ' .. root .. '/examples/digits/digits.gradlens.json')
local line
for i, l in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
  if l:find('"units": 64', 1, true) then line = i; break end
end
vim.api.nvim_win_set_cursor(0, { line, 4 })
dap.set_breakpoint('step >= 3')
local stops = 0
dap.listeners.after.event_stopped['gl'] = function(session, body)
  stops = stops + 1
  session:request('stackTrace', { threadId = 1 }, function(_, st)
    local f = st.stackFrames
    log(('stop %d (%s): %s | %s | %s'):format(stops, body.reason, f[1].name, f[2].name, f[3].name))
    session:request('evaluate', { expression = 'gradNorm', frameId = f[1].id, context = 'repl' }, function(_, ev)
      log('gradNorm = ' .. ev.result)
      if stops > 1 then
        log('done'); dap.terminate(); vim.defer_fn(function() vim.cmd('qa!') end, 300); return
      end
      session:request('scopes', { frameId = f[1].id }, function(_, sc)
        session:request('variables', { variablesReference = sc.scopes[1].variablesReference }, function(_, vs)
          for _, v in ipairs(vs.variables) do
            if v.name == 'perExample' then
              session:request('variables', { variablesReference = v.variablesReference, filter = 'indexed', start = 30, count = 2 }, function(_, pg)
                log(('perExample = %s; page [30, 32): %s, %s (%s)'):format(v.type, pg.variables[1].name, pg.variables[2].name, pg.variables[1].type))
                session:request('continue', { threadId = 1 }, function() end)
              end)
            end
          end
        end)
      end)
    end)
  end)
end
dap.run({ type = 'gradient-lens', request = 'launch', name = 'Debug training', model = '${file}', workspace = root })
vim.defer_fn(function() log('deadline'); vim.cmd('qa!') end, 120000)
