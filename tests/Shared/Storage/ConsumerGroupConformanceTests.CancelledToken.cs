namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// A token already cancelled, as the stream log's own calls treat it: a group call returns a cancelled task (it does
/// not throw at the call) and changes nothing.
/// </summary>
public abstract partial class ConsumerGroupConformanceTests
{
    [Fact]
    public async Task A_token_already_cancelled_gives_a_cancelled_task_from_every_group_call_and_changes_nothing()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 3);
        Assert.True(await log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning));
        var held = await log.ClaimAsync(stream, "g", "m1", 1, ClaimTimeout);
        Assert.Equal([ids[0]], held.Frames.Select(f => f.Frame.Id));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var token = cancelled.Token;

        var calls = new (string Name, Func<Task> Call)[]
        {
            ("create", () => log.CreateGroupAsync(stream, "other", ConsumerGroupStart.Beginning, token).AsTask()),
            ("claim", () => log.ClaimAsync(stream, "g", "m2", 2, ClaimTimeout, token).AsTask()),
            ("claim own pending", () => log.ClaimOwnPendingAsync(stream, "g", "m1", StreamId.Min, 2, token).AsTask()),
            ("acknowledge", () => log.AcknowledgeAsync(stream, "g", [ids[0]], token).AsTask()),
            ("read pending", () => log.ReadPendingAsync(stream, "g", null, 10, token).AsTask()),
            ("read group", () => log.ReadGroupAsync(stream, "g", token).AsTask()),
        };

        await CancelledCalls.AssertEachIsCancelledAsync(calls, Guard);

        // Nothing changed: no second group, the first frame still pending for m1, the others still new to the group.
        Assert.Null(await log.ReadGroupAsync(stream, "other"));
        var pending = await log.ReadPendingAsync(stream, "g", null, 10);
        Assert.Equal([(ids[0], "m1")], pending.Select(p => (p.Id, p.Consumer)));
        var next = await log.ClaimAsync(stream, "g", "m2", 10, ClaimTimeout);
        Assert.Equal(ids[1..], next.Frames.Select(f => f.Frame.Id));
    }
}
