namespace Reactive.Streams.Storage.Redis;

/// <summary>
/// The consumer-group scripts of <see cref="RedisStreamLog"/>. A group is a pair of native Redis consumer groups of the
/// same name, one on the stream's durable entries and one on its best-effort entries, driven together so that the pair
/// hands out the stream's frames in id order as one group would: every new claim reads the next entries of both
/// (<c>XRANGE</c>), merges them by id, and takes exactly that many from each with <c>XREADGROUP … &gt;</c>. So the frames
/// the pair has handed out are always every frame up to one id, as on the other backends. The pending lists (owner,
/// delivery count) are Redis's own, kept by <c>XREADGROUP</c>, <c>XCLAIM</c> and <c>XACK</c>. Two keys beside them hold
/// what the interface measures on the log's clock: the sorted set <c>...:g:{group}:z</c> scores each pending id (zero
/// padded, so that ids handed out at the same time sort by id) by when it was last handed out, which finds the due
/// entries wherever they are in the pending list; the hash <c>...:g:{group}:c</c> maps each member to when it last
/// claimed. A script returns <c>{-2}</c> when the group does not exist (Redis's NOGROUP).
/// </summary>
internal static class GroupScripts
{
    // Helpers every group script starts with: id comparison, a group's last delivered id on one key, pending lists.
    private const string Prelude = """
        local function parse(id)
            local dash = string.find(id, '-', 1, true)
            return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
        end
        local function less(a, b)
            local am, as = parse(a)
            local bm, bs = parse(b)
            return am < bm or (am == bm and as < bs)
        end
        local function group_of(key, group)
            local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', key)
            if not ok then return nil end
            for _, g in ipairs(groups) do
                local fields = {}
                for i = 1, #g, 2 do fields[g[i]] = g[i + 1] end
                if fields['name'] == group then return fields end
            end
            return nil
        end
        -- A key of the group that holds something else (written by another client under the log's prefix) fails the
        -- script before it writes anything, with an error that names the key: a script is not rolled back.
        local function expect(key, want)
            local t = redis.call('TYPE', key)['ok']
            if t ~= 'none' and t ~= want then
                error({err = 'WRONGTYPE the key ' .. key .. ' holds a ' .. t .. ' where the log keeps a ' .. want .. '; nothing was written'})
            end
        end
        local function tag(list, half)
            for _, e in ipairs(list) do e.half = half end
            return list
        end
        -- The sorted set's member for an id: both parts zero-padded to 20 digits (a stream id's parts are 64-bit), so that
        -- members of one score sort by id. Strings throughout: Lua's numbers are doubles.
        local function zkey(id)
            local dash = string.find(id, '-', 1, true)
            local ms, seq = string.sub(id, 1, dash - 1), string.sub(id, dash + 1)
            return string.rep('0', 20 - #ms) .. ms .. '-' .. string.rep('0', 20 - #seq) .. seq
        end
        local function unzkey(k)
            local ms = string.match(string.sub(k, 1, 20), '^0*(%d-)$')
            local seq = string.match(string.sub(k, 22), '^0*(%d-)$')
            if ms == '' then ms = '0' end
            if seq == '' then seq = '0' end
            return ms .. '-' .. seq
        end
        -- ZADD of score/member pairs, 500 pairs a call: unpack gives Lua at most about 8000 values at once, and a claim
        -- may hand out MaxReadCount (10 000 by default) entries. It runs after XREADGROUP or XCLAIM, which a script
        -- error would not undo.
        local function zadd_all(key, list)
            for i = 1, #list, 1000 do
                redis.call('ZADD', key, unpack(list, i, math.min(i + 999, #list)))
            end
        end
        local function merge(a, b, limit)
            local out, i, j = {}, 1, 1
            while #out < limit and (i <= #a or j <= #b) do
                if j > #b or (i <= #a and less(a[i][1], b[j][1])) then
                    table.insert(out, a[i]); i = i + 1
                else
                    table.insert(out, b[j]); j = j + 1
                end
            end
            return out
        end

        """;

    // KEYS: durable, live. ARGV: group, durable start, live start. Returns 1 when this call created the group, else 0.
    // A group that exists on the durable entries only (made by another client) gains its best-effort half at the start.
    public const string Create = Prelude + """
        expect(KEYS[1], 'stream')
        expect(KEYS[2], 'stream')
        local created = 0
        local r = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], ARGV[2], 'MKSTREAM')
        if type(r) == 'table' and r.err then
            if not string.find(r.err, 'BUSYGROUP', 1, true) then return redis.error_reply(r.err) end
        else
            created = 1
        end
        r = redis.pcall('XGROUP', 'CREATE', KEYS[2], ARGV[1], ARGV[3], 'MKSTREAM')
        if type(r) == 'table' and r.err and not string.find(r.err, 'BUSYGROUP', 1, true) then return redis.error_reply(r.err) end
        return created
        """;

    // KEYS: durable, live, times (the sorted set), consumers. ARGV: 1 group, 2 consumer, 3 limit, 4 claim timeout ms,
    // 5 now ms (log clock), 6 how many due entries to consider at a time, 7 up to how many due entries a page is chosen
    // by id among all of them. Returns {1, last delivered id, reclaimed entries, their delivery counts, new entries}.
    // Reclaiming: the entries handed out at least the timeout ago by the log's clock come from the sorted set, a page of
    // ARGV[6] at a time, wherever they are in the pending list: the oldest ids of all the due entries, as on the other
    // backends, while at most ARGV[7] are due (their members are read and sorted: a member is the id zero padded, so
    // text order is id order); beyond that, the longest-held, so that a claim's work stays bounded. An entry handed out by some
    // other client has no time there and is reclaimed by the server's idle time, looked for among the oldest ARGV[6]
    // pending entries of each half, only when the pending lists hold more entries than the sorted set. Each page's
    // candidates are taken in id order up to the limit, with XCLAIM (which raises their delivery count and makes them no
    // longer due), and pages follow until the limit is met or no due entry is left: new entries are handed out only
    // then, as on the other backends (a claim once took new entries while due ones waited beyond its first page).
    // XAUTOCLAIM's min-idle is measured on the server's clock, which the log's clock need not match.
    public const string Claim = Prelude + """
        local gd = group_of(KEYS[1], ARGV[1])
        local gl = group_of(KEYS[2], ARGV[1])
        if gd == nil or gl == nil then return {-2} end
        expect(KEYS[3], 'zset')
        expect(KEYS[4], 'hash')
        local limit = tonumber(ARGV[3])
        local timeout = tonumber(ARGV[4])
        local now = tonumber(ARGV[5])
        local scan = tonumber(ARGV[6])
        local claimed = {}
        local claimedCounts = {}
        -- Pages of due entries, until the limit is met or none is left: a claim hands out new entries only once no due
        -- entry waits. Each page makes progress (its entries are claimed, which makes them no longer due, or dropped), so
        -- the loop ends; a full page may have more behind it.
        local first, more = true, true
        while #claimed < limit and more do
            local candidates = {}
            local page
            if redis.call('ZCOUNT', KEYS[3], '-inf', now - timeout) <= tonumber(ARGV[7]) then
                -- The oldest ids among all the due entries: frames reclaimed later (by a member that died too) are older
                -- than frames that have waited longer, and the longest-held first would pass over them.
                local all = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now - timeout)
                table.sort(all)
                page = {}
                for i = 1, math.min(#all, scan) do page[i] = all[i] end
                more = #all > scan
            else
                page = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now - timeout, 'LIMIT', 0, scan)
                more = #page == scan
            end
            for _, k in ipairs(page) do
                local id = unzkey(k)
                local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)[1]
                local half = 1
                if p == nil then
                    p = redis.call('XPENDING', KEYS[2], ARGV[1], id, id, 1)[1]
                    half = 2
                end
                if p == nil then
                    -- Acknowledged by another client: no longer pending.
                    redis.call('ZREM', KEYS[3], k)
                else
                    p.half = half
                    table.insert(candidates, p)
                end
            end
            if first and tonumber(gd['pending']) + tonumber(gl['pending']) > redis.call('ZCARD', KEYS[3]) then
                for half = 1, 2 do
                    for _, p in ipairs(redis.call('XPENDING', KEYS[half], ARGV[1], '-', '+', scan)) do
                        if p[3] >= timeout and redis.call('ZSCORE', KEYS[3], zkey(p[1])) == false then
                            p.half = half
                            table.insert(candidates, p)
                        end
                    end
                end
            end
            first = false
            table.sort(candidates, function(a, b) return less(a[1], b[1]) end)
            -- XCLAIM drops a best-effort entry trimmed while pending (and returns nothing for it): claim on past such
            -- entries, in id order, until the limit is met, so that a trimmed entry never takes the place of a due one behind it.
            local from = 1
            while #claimed < limit and from <= #candidates do
                local due = {{}, {}}
                local counts = {}
                local last = math.min(#candidates, from + limit - #claimed - 1)
                for i = from, last do
                    local p = candidates[i]
                    table.insert(due[p.half], p[1])
                    counts[p[1]] = p[4] + 1
                end
                from = last + 1
                for half = 1, 2 do
                    if #due[half] > 0 then
                        local got = {}
                        local times = {}
                        for _, e in ipairs(redis.call('XCLAIM', KEYS[half], ARGV[1], ARGV[2], 0, unpack(due[half]))) do
                            if type(e) == 'table' then
                                table.insert(claimed, e)
                                table.insert(claimedCounts, counts[e[1]])
                                table.insert(times, ARGV[5])
                                table.insert(times, zkey(e[1]))
                                got[e[1]] = true
                            end
                        end
                        zadd_all(KEYS[3], times)
                        -- Best-effort entries trimmed while pending are dropped from the pending list by XCLAIM; forget their times.
                        for _, id in ipairs(due[half]) do
                            if not got[id] then redis.call('ZREM', KEYS[3], zkey(id)) end
                        end
                    end
                end
            end
        end
        local fresh = {}
        local remaining = limit - #claimed
        local lastD, lastL = gd['last-delivered-id'], gl['last-delivered-id']
        if remaining > 0 then
            local next = merge(
                tag(redis.call('XRANGE', KEYS[1], '(' .. lastD, '+', 'COUNT', remaining), 1),
                tag(redis.call('XRANGE', KEYS[2], '(' .. lastL, '+', 'COUNT', remaining), 2), remaining)
            local n = {0, 0}
            for _, e in ipairs(next) do n[e.half] = n[e.half] + 1 end
            for half = 1, 2 do
                if n[half] > 0 then
                    local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', n[half], 'STREAMS', KEYS[half], '>')
                    local times = {}
                    for _, e in ipairs(r[1][2]) do
                        table.insert(fresh, e)
                        table.insert(times, ARGV[5])
                        table.insert(times, zkey(e[1]))
                    end
                    zadd_all(KEYS[3], times)
                end
            end
            lastD = group_of(KEYS[1], ARGV[1])['last-delivered-id']
            lastL = group_of(KEYS[2], ARGV[1])['last-delivered-id']
        end
        redis.call('HSET', KEYS[4], ARGV[2], ARGV[5])
        local last = lastD
        if less(lastD, lastL) then last = lastL end
        return {1, last, claimed, claimedCounts, fresh}
        """;

    // KEYS: durable, live, times (the sorted set), consumers. ARGV: 1 group, 2 consumer, 3 cursor id (exclusive), 4 limit,
    // 5 now ms (log clock). Returns {1, last delivered id, entries, their delivery counts}, the entries of each half in
    // id order, one half after the other.
    // The consumer's own pending entries after the cursor, as XREADGROUP with an id reads a consumer's history (which
    // raises their delivery count and resets their idle time): XPENDING of the consumer on each half says which entries
    // come next across both, merged by id, and XREADGROUP from the cursor takes exactly that many from each half. An
    // entry that best-effort retention trimmed comes back with no fields: it is dropped from the pending list (XACK), as
    // XCLAIM drops it on a reclaim, its time is forgotten, and the loop reads on past it, so it does not count toward the
    // limit. The group's last delivered id is left as it is.
    public const string ClaimOwnPending = Prelude + """
        local gd = group_of(KEYS[1], ARGV[1])
        local gl = group_of(KEYS[2], ARGV[1])
        if gd == nil or gl == nil then return {-2} end
        expect(KEYS[3], 'zset')
        expect(KEYS[4], 'hash')
        local limit = tonumber(ARGV[4])
        local cursor = {ARGV[3], ARGV[3]}
        local taken = {}
        local takenCounts = {}
        while #taken < limit do
            local want = limit - #taken
            local next = merge(
                tag(redis.call('XPENDING', KEYS[1], ARGV[1], '(' .. cursor[1], '+', want, ARGV[2]), 1),
                tag(redis.call('XPENDING', KEYS[2], ARGV[1], '(' .. cursor[2], '+', want, ARGV[2]), 2), want)
            if #next == 0 then break end
            local n = {0, 0}
            local counts = {}
            for _, p in ipairs(next) do
                n[p.half] = n[p.half] + 1
                counts[p[1]] = p[4] + 1
            end
            for half = 1, 2 do
                if n[half] > 0 then
                    local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', n[half], 'STREAMS', KEYS[half], cursor[half])
                    local times = {}
                    for _, e in ipairs(r[1][2]) do
                        if e[2] then
                            table.insert(taken, e)
                            table.insert(takenCounts, counts[e[1]])
                            table.insert(times, ARGV[5])
                            table.insert(times, zkey(e[1]))
                        else
                            redis.call('XACK', KEYS[half], ARGV[1], e[1])
                            redis.call('ZREM', KEYS[3], zkey(e[1]))
                        end
                        cursor[half] = e[1]
                    end
                    zadd_all(KEYS[3], times)
                end
            end
        end
        redis.call('HSET', KEYS[4], ARGV[2], ARGV[5])
        local last = gd['last-delivered-id']
        if less(last, gl['last-delivered-id']) then last = gl['last-delivered-id'] end
        return {1, last, taken, takenCounts}
        """;

    // KEYS: durable, live, times (the sorted set). ARGV: group, ids... Returns {1, acknowledged}.
    public const string Acknowledge = Prelude + """
        if group_of(KEYS[1], ARGV[1]) == nil or group_of(KEYS[2], ARGV[1]) == nil then return {-2} end
        expect(KEYS[3], 'zset')
        local acked = 0
        local i = 2
        while i <= #ARGV do
            local chunk = {}
            for j = i, math.min(i + 999, #ARGV) do table.insert(chunk, ARGV[j]) end
            acked = acked + redis.call('XACK', KEYS[1], ARGV[1], unpack(chunk)) + redis.call('XACK', KEYS[2], ARGV[1], unpack(chunk))
            local keys = {}
            for j, id in ipairs(chunk) do keys[j] = zkey(id) end
            redis.call('ZREM', KEYS[3], unpack(keys))
            i = i + 1000
        end
        return {1, acked}
        """;

    // KEYS: durable, live, times (the sorted set). ARGV: group, limit, now ms, consumer or ''. Returns {1, {id, consumer, idle ms, count}...}.
    public const string Pending = Prelude + """
        if group_of(KEYS[1], ARGV[1]) == nil or group_of(KEYS[2], ARGV[1]) == nil then return {-2} end
        expect(KEYS[3], 'zset')
        local function pending_of(key)
            if ARGV[4] == '' then return redis.call('XPENDING', key, ARGV[1], '-', '+', ARGV[2]) end
            return redis.call('XPENDING', key, ARGV[1], '-', '+', ARGV[2], ARGV[4])
        end
        local pending = merge(pending_of(KEYS[1]), pending_of(KEYS[2]), tonumber(ARGV[2]))
        local now = tonumber(ARGV[3])
        for _, p in ipairs(pending) do
            local at = tonumber(redis.call('ZSCORE', KEYS[3], zkey(p[1])))
            if at ~= nil then p[3] = math.max(0, now - at) end
        end
        return {1, pending}
        """;

    // KEYS: durable, live, consumers. ARGV: group, now ms. Returns {1, last delivered id, pending, lag,
    // {name, pending, idle ms}...} or {-2}. Lag: on the durable entries (never trimmed) XINFO's where Redis knows it;
    // otherwise, and always on the best-effort entries, the entries after the cursor, counted (XLEN when the cursor
    // is before the first entry, else XRANGE in pages).
    public const string Info = Prelude + """
        local function count_after(key, id)
            local n, from = 0, '(' .. id
            while true do
                local r = redis.call('XRANGE', key, from, '+', 'COUNT', 1000)
                n = n + #r
                if #r < 1000 then return n end
                from = '(' .. r[#r][1]
            end
        end
        local halves = {group_of(KEYS[1], ARGV[1]), group_of(KEYS[2], ARGV[1])}
        if halves[1] == nil or halves[2] == nil then return {-2} end
        expect(KEYS[3], 'hash')
        local last = halves[1]['last-delivered-id']
        local pending, lag = 0, 0
        local held = {}
        for half = 1, 2 do
            local g = halves[half]
            if less(last, g['last-delivered-id']) then last = g['last-delivered-id'] end
            pending = pending + g['pending']
            local l = g['lag']
            if half == 2 or type(l) ~= 'number' then
                -- Counted. Redis's own lag is entries added minus entries read, which counts every best-effort entry
                -- MAXLEN trimmed after the cursor before anyone read it (and stays off by them once the group reads on).
                local first = redis.call('XRANGE', KEYS[half], '-', '+', 'COUNT', 1)[1]
                if first == nil then
                    l = 0
                elseif less(g['last-delivered-id'], first[1]) then
                    l = redis.call('XLEN', KEYS[half])
                else
                    l = count_after(KEYS[half], g['last-delivered-id'])
                end
            end
            lag = lag + l
            local summary = redis.call('XPENDING', KEYS[half], ARGV[1])
            if summary[4] then
                for _, c in ipairs(summary[4]) do held[c[1]] = (held[c[1]] or 0) + tonumber(c[2]) end
            end
        end
        local now = tonumber(ARGV[2])
        local members = {}
        local seen = redis.call('HGETALL', KEYS[3])
        for i = 1, #seen, 2 do
            table.insert(members, {seen[i], held[seen[i]] or 0, math.max(0, now - tonumber(seen[i + 1]))})
        end
        return {1, last, pending, lag, members}
        """;
}
