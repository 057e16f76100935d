using System.Text.Json;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>Generated members of the fixtures' unions, compiled by this project's own build (nullable, warnings as errors).</summary>
public sealed class UnionMatchTests
{
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 13, 0, 0, TimeSpan.Zero);

    public static TheoryData<LeaseEvent, string> Variants => new()
    {
        { new LeaseEvent.Acquired(new Cursor(1, 0), "exec-1", "lease-9", s_at), "acquired" },
        { new LeaseEvent.Renewed(new Cursor(2, 1), "exec-1", s_at, TimeSpan.FromSeconds(30)), "renewed" },
        { new LeaseEvent.Expired(new Cursor(3, 0), "exec-2", s_at), "expired" },
        { new LeaseEvent.Revoked(new Cursor(4, 7), "exec-3", s_at, "admin", 2), "revoked" },
        { new LeaseEvent.Unknown("stolen", Json("""{"type":"stolen"}""")), "unknown" },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Match_calls_only_the_handler_of_the_variant(LeaseEvent item, string expected)
    {
        var result = item.Match(
            static _ => "acquired",
            static _ => "renewed",
            static _ => "expired",
            static _ => "revoked",
            static _ => "unknown");

        Assert.Equal(expected, result);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Match_with_state_hands_the_state_to_the_handler(LeaseEvent item, string expected)
    {
        var result = item.Match(
            ">",
            static (prefix, _) => prefix + "acquired",
            static (prefix, _) => prefix + "renewed",
            static (prefix, _) => prefix + "expired",
            static (prefix, _) => prefix + "revoked",
            static (prefix, _) => prefix + "unknown");

        Assert.Equal(">" + expected, result);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Switch_runs_only_the_action_of_the_variant(LeaseEvent item, string expected)
    {
        var ran = new List<string>();
        item.Switch(
            _ => ran.Add("acquired"),
            _ => ran.Add("renewed"),
            _ => ran.Add("expired"),
            _ => ran.Add("revoked"),
            _ => ran.Add("unknown"));
        item.Switch(
            ran,
            static (list, _) => list.Add("acquired"),
            static (list, _) => list.Add("renewed"),
            static (list, _) => list.Add("expired"),
            static (list, _) => list.Add("revoked"),
            static (list, _) => list.Add("unknown"));

        Assert.Equal(new[] { expected, expected }, ran);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task MatchAsync_and_SwitchAsync_await_only_the_handler_of_the_variant(LeaseEvent item, string expected)
    {
        var result = await item.MatchAsync(
            static async _ => { await Task.Yield(); return "acquired"; },
            static _ => ValueTask.FromResult("renewed"),
            static _ => ValueTask.FromResult("expired"),
            static _ => ValueTask.FromResult("revoked"),
            static _ => ValueTask.FromResult("unknown"));
        var withState = await item.MatchAsync(
            2,
            static (n, _) => ValueTask.FromResult(n + "acquired"),
            static (n, _) => ValueTask.FromResult(n + "renewed"),
            static (n, _) => ValueTask.FromResult(n + "expired"),
            static (n, _) => ValueTask.FromResult(n + "revoked"),
            static (n, _) => ValueTask.FromResult(n + "unknown"));
        var ran = new List<string>();
        await item.SwitchAsync(
            ran,
            static (list, _) => { list.Add("acquired"); return ValueTask.CompletedTask; },
            static (list, _) => { list.Add("renewed"); return ValueTask.CompletedTask; },
            static (list, _) => { list.Add("expired"); return ValueTask.CompletedTask; },
            static (list, _) => { list.Add("revoked"); return ValueTask.CompletedTask; },
            static (list, _) => { list.Add("unknown"); return ValueTask.CompletedTask; });

        Assert.Equal(expected, result);
        Assert.Equal("2" + expected, withState);
        Assert.Equal(new[] { expected }, ran);
    }

    // The asynchronous forms check their handlers before running any, as Match does: a null handler is an
    // ArgumentNullException thrown by the call (not a faulted task), naming the parameter, and no handler has run.
    [Fact]
    public void The_asynchronous_forms_reject_a_null_handler_by_name_before_running_any()
    {
        LeaseEvent item = new LeaseEvent.Expired(new Cursor(3, 0), "exec-2", s_at);
        var ran = 0;
        ValueTask<int> Count(int n)
        {
            ran++;
            return ValueTask.FromResult(n);
        }

        var errors = new[]
        {
            Assert.Throws<ArgumentNullException>(() => { _ = item.MatchAsync(_ => Count(1), _ => Count(2), _ => Count(3), _ => Count(4), null!); }),
            Assert.Throws<ArgumentNullException>(() => { _ = item.MatchAsync(0, (_, _) => Count(1), (_, _) => Count(2), (_, _) => Count(3), null!, (_, _) => Count(5)); }),
            Assert.Throws<ArgumentNullException>(() => { _ = item.SwitchAsync(_ => default, null!, _ => default, _ => default, _ => default); }),
            Assert.Throws<ArgumentNullException>(() => { _ = item.SwitchAsync(0, null!, (_, _) => default, (_, _) => default, (_, _) => default, (_, _) => default); }),
        };

        Assert.Equal(new[] { "unknown", "revoked", "renewed", "acquired" }, errors.Select(static e => e.ParamName));
        Assert.Equal(0, ran);
    }

    // A handler that is cancelled cancels the task the asynchronous form returns, with the handler's token; the Unknown arm
    // is awaited like any other.
    [Fact]
    public async Task A_cancelled_handler_cancels_the_asynchronous_match_and_the_unknown_arm_is_awaited_like_any_other()
    {
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();
        LeaseEvent expired = new LeaseEvent.Expired(new Cursor(3, 0), "exec-2", s_at);
        var unknown = JsonSerializer.Deserialize<LeaseEvent>("""{"type":"stolen","execution_id":"exec-9"}""")!;
        var token = cancellation.Token;

        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await expired.MatchAsync(
            static _ => ValueTask.FromResult(1),
            static _ => ValueTask.FromResult(2),
            _ => ValueTask.FromCanceled<int>(token),
            static _ => ValueTask.FromResult(4),
            static _ => ValueTask.FromResult(5)));
        var switched = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await expired.SwitchAsync(
            token,
            static (_, _) => ValueTask.CompletedTask,
            static (_, _) => ValueTask.CompletedTask,
            static async (t, _) => await Task.Delay(Timeout.Infinite, t),
            static (_, _) => ValueTask.CompletedTask,
            static (_, _) => ValueTask.CompletedTask));
        var fromUnknown = await unknown.MatchAsync(
            "seen ",
            static (_, _) => ValueTask.FromResult("acquired"),
            static (_, _) => ValueTask.FromResult("renewed"),
            static (_, _) => ValueTask.FromResult("expired"),
            static (_, _) => ValueTask.FromResult("revoked"),
            static async (prefix, u) => { await Task.Yield(); return prefix + u.RawWireName + " " + u.ExecutionId; });

        Assert.Equal(token, cancelled.CancellationToken);
        Assert.Equal(token, switched.CancellationToken);
        Assert.Equal("seen stolen exec-9", fromUnknown);
    }

    [Fact]
    public void Match_rejects_a_null_handler_by_name()
    {
        LeaseEvent item = new LeaseEvent.Expired(new Cursor(3, 0), "exec-2", s_at);

        var error = Assert.Throws<ArgumentNullException>(() => item.Match(
            static _ => 1, static _ => 2, null!, static _ => 4, static _ => 5));

        Assert.Equal("expired", error.ParamName);
    }

    [Fact]
    public void Kind_and_wire_name_follow_the_variant_with_snake_case_by_default_and_WireName_overriding()
    {
        LeaseEvent renewed = new LeaseEvent.Renewed(new Cursor(2, 1), "exec-1", s_at, TimeSpan.FromSeconds(30));
        LeaseEvent expired = new LeaseEvent.Expired(new Cursor(3, 0), "exec-2", s_at);
        LeaseEvent unknown = new LeaseEvent.Unknown("lease_stolen", Json("""{"type":"lease_stolen"}"""));

        Assert.Equal((LeaseEventKind.Renewed, "renewed"), (renewed.Kind, renewed.WireName));
        Assert.Equal((LeaseEventKind.Expired, "lease_expired"), (expired.Kind, expired.WireName));
        Assert.Equal((LeaseEventKind.Unknown, "lease_stolen"), (unknown.Kind, unknown.WireName));
        Assert.Equal("long_variant_name", new LongNames.LongVariantName().WireName);
        Assert.Equal("http_timeout_v2", new LongNames.HTTPTimeoutV2().WireName);
    }

    [Fact]
    public void Properties_shared_by_every_variant_are_read_through_the_base()
    {
        LeaseEvent item = new LeaseEvent.Revoked(new Cursor(4, 7), "exec-3", s_at, "admin", null);

        Assert.Equal(new Cursor(4, 7), item.Cursor);
        Assert.Equal("exec-3", item.ExecutionId);
        Assert.Equal(s_at, item.At);
        Assert.Equal("exec-4", (item with { ExecutionId = "exec-4" }).ExecutionId);
    }

    [Fact]
    public void An_unknown_variant_without_a_shared_value_says_so_when_it_is_read()
    {
        LeaseEvent unknown = new LeaseEvent.Unknown("lease_stolen", Json("""{"type":"lease_stolen"}"""));

        var error = Assert.Throws<InvalidOperationException>(() => unknown.Cursor);

        Assert.Contains("'lease_stolen' carries no readable 'cursor'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_unknown_variant_rejects_a_null_wire_name_and_a_payload_that_is_not_an_object()
    {
        Assert.Equal("rawWireName", Assert.Throws<ArgumentNullException>(() => new LeaseEvent.Unknown(null!, Json("{}"))).ParamName);
        Assert.Equal("rawPayload", Assert.Throws<ArgumentException>(() => new LeaseEvent.Unknown("x", Json("[1]"))).ParamName);
    }

    [Fact]
    public void Unknown_variants_are_equal_when_their_wire_names_and_raw_bytes_are()
    {
        var first = new LeaseEvent.Unknown("x", Json("""{"type":"x","a":1}"""));
        var same = new LeaseEvent.Unknown("x", Json("""{"type":"x","a":1}"""));
        var spacedDifferently = new LeaseEvent.Unknown("x", Json("""{"type":"x", "a":1}"""));

        Assert.Equal(first, same);
        Assert.Equal(first.GetHashCode(), same.GetHashCode());
        Assert.NotEqual(first, spacedDifferently);
    }

    [Fact]
    public void FromWire_returns_the_known_variant_and_ToWire_reads_back_to_it()
    {
        var success = Outcome.FromWire("success");

        Assert.IsType<Outcome.Success>(success);
        Assert.Same(success, Outcome.FromWire("success"));
        Assert.Equal(OutcomeKind.Cancelled, Outcome.FromWire("cancelled").Kind);
        Assert.Equal("failure", new Outcome.Failure().ToWire());
        Assert.Equal(Outcome.FromWire("failure"), Outcome.FromWire(new Outcome.Failure().ToWire()));
    }

    [Fact]
    public void FromWire_keeps_an_unknown_value_in_Other()
    {
        var outcome = Outcome.FromWire("timed_out");

        Assert.Equal(new Outcome.Other("timed_out"), outcome);
        Assert.Equal(OutcomeKind.Other, outcome.Kind);
        Assert.Equal("timed_out", outcome.ToWire());
        Assert.Equal("other:timed_out", outcome.Match(
            static _ => "success", static _ => "failure", static _ => "cancelled", static o => "other:" + o.RawValue));
        Assert.Throws<ArgumentNullException>(() => Outcome.FromWire(null!));
    }

    private static System.Text.Json.JsonElement Json(string json) => System.Text.Json.JsonDocument.Parse(json).RootElement.Clone();
}
