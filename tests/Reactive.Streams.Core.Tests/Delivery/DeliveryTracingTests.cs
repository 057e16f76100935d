using System.Diagnostics;
using Reactive.Streams.Storage.Tests;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>The dispatcher's spans: dispatch, each sink write with its retries, dead letters, batch writes.</summary>
public sealed class DeliveryTracingTests
{
    [Fact]
    public async Task Writes_carry_their_retries_and_a_terminal_failure_goes_to_a_dead_letter_span()
    {
        using var recorder = new TraceRecorder();
        var sink = new RecordingSink<int>("flaky", behaviour: (item, attempt, _) =>
            item == 1 && attempt < 3 ? throw new TimeoutException("transient")
            : item == 2 ? throw new PermanentDeliveryException("poison")
            : ValueTask.CompletedTask);
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var name = $"traced-{Guid.NewGuid():N}";
        await using var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int>
        {
            Name = name,
            BackoffBase = TimeSpan.Zero,
            DeadLetterSink = deadLetters,
        }.AddSink(sink));
        ActivityTraceId trace;
        using (var root = recorder.StartTrace())
        {
            trace = root.TraceId;
            await dispatcher.DispatchAsync(1);
            await dispatcher.DispatchAsync(2);
        }

        await sink.WhenCommitted(1);
        await deadLetters.WhenCommitted(1);
        Assert.True(await dispatcher.ShutdownAsync(TimeSpan.FromMinutes(1)));

        var dispatches = recorder.Spans.Where(s => s.DisplayName == $"dispatch {name}").ToList();
        var writes = recorder.Spans.Where(s => s.DisplayName == $"deliver {name}/flaky").OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(2, dispatches.Count);
        Assert.Equal(2, writes.Count);
        Assert.All(dispatches, d => Assert.Equal(ActivityKind.Producer, d.Kind));
        Assert.All(recorder.Spans, s => Assert.Equal(trace, s.TraceId));
        Assert.Equal(dispatches.Select(d => d.SpanId.ToHexString()).Order(), writes.Select(w => w.ParentSpanId.ToHexString()).Order());
        Assert.Equal("flaky", writes[0].GetTagItem("reactive_streams.sink.name"));

        var retries = writes[0].Events.Where(e => e.Name == "retry").ToList();
        Assert.Equal([1, 2], retries.Select(e => e.Tags.Single(t => t.Key == "reactive_streams.delivery.attempt").Value));
        Assert.All(retries, e => Assert.Equal(typeof(TimeoutException).FullName, e.Tags.Single(t => t.Key == "error.type").Value));
        Assert.Equal(ActivityStatusCode.Unset, writes[0].Status);

        Assert.Equal(ActivityStatusCode.Error, writes[1].Status);
        Assert.Equal(typeof(PermanentDeliveryException).FullName, writes[1].GetTagItem("error.type"));
        var deadLetter = recorder.Single($"dead_letter {name}/flaky");
        Assert.Equal(ActivityKind.Producer, deadLetter.Kind);
        Assert.Equal(writes[1].SpanId, deadLetter.ParentSpanId);
        Assert.Equal(typeof(PermanentDeliveryException).FullName, deadLetter.GetTagItem("reactive_streams.delivery.failure.type"));
        Assert.Equal(ActivityStatusCode.Unset, deadLetter.Status);
    }

    [Fact]
    public async Task A_dispatch_its_caller_cancels_while_it_waits_for_room_ends_its_span_without_error()
    {
        using var recorder = new TraceRecorder();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink<int>("held", behaviour: async (item, _, _) =>
        {
            if (item == 0)
            {
                entered.TrySetResult();
                await release.Task;
            }
        });
        var name = $"cancelled-{Guid.NewGuid():N}";
        await using var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { Name = name, QueueCapacity = 1 }.AddSink(sink));
        using var cancel = new CancellationTokenSource();
        using (recorder.StartTrace())
        {
            await dispatcher.DispatchAsync(0);
            await entered.Task.WaitAsync(TestLimits.Hang);
            await dispatcher.DispatchAsync(1); // fills the queue while the sink holds item 0

            // The queue is full: the dispatch waits for room until its caller gives up (OnFull.Block).
            var waiting = dispatcher.DispatchAsync(2, cancellationToken: cancel.Token).AsTask();
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TestLimits.Hang));
        }

        release.SetResult();
        await sink.WhenCommitted(2);
        Assert.True(await dispatcher.ShutdownAsync(TimeSpan.FromMinutes(1)));

        var dispatches = recorder.Spans.Where(s => s.DisplayName == $"dispatch {name}").ToList();
        Assert.Equal(3, dispatches.Count);
        Assert.All(dispatches, d => Assert.Equal(ActivityStatusCode.Unset, d.Status));
        Assert.All(dispatches, d => Assert.Null(d.GetTagItem("error.type")));
    }

    [Fact]
    public async Task A_dead_letters_retries_are_events_of_its_own_span_not_of_the_write()
    {
        using var recorder = new TraceRecorder();
        var sink = new RecordingSink<int>("poisoned", behaviour: (_, _, _) => throw new PermanentDeliveryException("poison"));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", behaviour: (_, attempt, _) =>
            attempt < 3 ? throw new TimeoutException("dead-letter store busy") : ValueTask.CompletedTask);
        var name = $"traced-{Guid.NewGuid():N}";
        await using var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int>
        {
            Name = name,
            BackoffBase = TimeSpan.Zero,
            DeadLetterSink = deadLetters,
        }.AddSink(sink));
        using (recorder.StartTrace())
        {
            await dispatcher.DispatchAsync(1);
        }

        await deadLetters.WhenCommitted(1);
        Assert.True(await dispatcher.ShutdownAsync(TimeSpan.FromMinutes(1)));

        var write = recorder.Single($"deliver {name}/poisoned");
        var deadLetter = recorder.Single($"dead_letter {name}/poisoned");
        Assert.DoesNotContain(write.Events, e => e.Name == "retry");
        var retries = deadLetter.Events.Where(e => e.Name == "retry").ToList();
        Assert.Equal([1, 2], retries.Select(e => e.Tags.Single(t => t.Key == "reactive_streams.delivery.attempt").Value));
        Assert.All(retries, e => Assert.Equal(typeof(TimeoutException).FullName, e.Tags.Single(t => t.Key == "error.type").Value));
        Assert.Equal(0, dispatcher.GetSinkMetrics("poisoned").Retries);
    }

    [Fact]
    public async Task A_batch_write_is_one_span_linked_to_every_dispatch()
    {
        using var recorder = new TraceRecorder();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingBatchSink<int>("batch", async (items, attempt) =>
        {
            if (attempt == 1)
            {
                entered.SetResult();
                await release.Task; // the first batch holds the worker, so the next three queue up into one batch
            }
        });
        var name = $"batched-{Guid.NewGuid():N}";
        await using var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { Name = name, MaxBatch = 8 }.AddSink(sink));
        using (recorder.StartTrace())
        {
            await dispatcher.DispatchAsync(0);
            await entered.Task.WaitAsync(TestLimits.Hang);

            for (var i = 1; i <= 3; i++)
            {
                await dispatcher.DispatchAsync(i);
            }
        }

        release.SetResult();
        await sink.WhenCommitted(4);
        Assert.True(await dispatcher.ShutdownAsync(TimeSpan.FromMinutes(1)));

        var dispatches = recorder.Spans.Where(s => s.DisplayName == $"dispatch {name}").ToList();
        var second = Assert.Single(recorder.Spans, s => s.DisplayName == $"deliver {name}/batch" && s.Links.Count() == 3);
        Assert.Equal(3, second.GetTagItem("messaging.batch.message_count"));
        Assert.Equal(default, second.ParentSpanId);
        Assert.Equal(dispatches.Skip(1).Select(d => d.SpanId.ToHexString()).Order(), second.Links.Select(l => l.Context.SpanId.ToHexString()).Order());
    }

    [Fact]
    public async Task A_terminal_failure_with_no_dead_letter_sink_ends_its_write_span_failed_with_a_discarded_event()
    {
        using var recorder = new TraceRecorder();
        var single = new RecordingSink<int>("single", behaviour: (item, _, _) =>
            item == 2 ? throw new PermanentDeliveryException("poison") : ValueTask.CompletedTask);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batch = new RecordingBatchSink<int>("batch", async (items, attempt) =>
        {
            if (items.Contains(0))
            {
                entered.TrySetResult();
                await release.Task; // holds the worker, so items 1 and 2 reach this sink as one batch
                return;
            }

            throw new PermanentDeliveryException("poison batch");
        });
        var name = $"discarding-{Guid.NewGuid():N}";
        await using var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int> { Name = name, MaxBatch = 8 }.AddSink(single).AddSink(batch));
        using (recorder.StartTrace())
        {
            await dispatcher.DispatchAsync(0);
            await entered.Task.WaitAsync(TestLimits.Hang);
            await dispatcher.DispatchAsync(1);
            await dispatcher.DispatchAsync(2);
        }

        release.SetResult();
        Assert.True(await dispatcher.ShutdownAsync(TimeSpan.FromMinutes(1)));

        // docs/tracing.md: a write that failed terminally has status Error and error.type, and a "discarded" event when
        // the failed item is discarded for want of a dead-letter sink; no dead_letter span. The counters agree.
        var writes = recorder.Spans.Where(s => s.DisplayName == $"deliver {name}/single").OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(3, writes.Count);
        Assert.All(writes.Take(2), w => Assert.Equal(ActivityStatusCode.Unset, w.Status));
        Assert.All(writes.Take(2), w => Assert.DoesNotContain(w.Events, e => e.Name == "discarded"));
        Assert.Equal(ActivityStatusCode.Error, writes[2].Status);
        Assert.Equal(typeof(PermanentDeliveryException).FullName, writes[2].GetTagItem("error.type"));
        var discarded = Assert.Single(writes[2].Events, e => e.Name == "discarded");
        Assert.Equal(1, discarded.Tags.Single(t => t.Key == "messaging.batch.message_count").Value);

        var batchWrite = Assert.Single(recorder.Spans, s => s.DisplayName == $"deliver {name}/batch" && s.Status == ActivityStatusCode.Error);
        Assert.Equal(2, batchWrite.GetTagItem("messaging.batch.message_count"));
        Assert.Equal(typeof(PermanentDeliveryException).FullName, batchWrite.GetTagItem("error.type"));
        var batchDiscarded = Assert.Single(batchWrite.Events, e => e.Name == "discarded");
        Assert.Equal(2, batchDiscarded.Tags.Single(t => t.Key == "messaging.batch.message_count").Value);
        Assert.DoesNotContain(recorder.Spans, s => s.DisplayName.StartsWith("dead_letter ", StringComparison.Ordinal));

        Assert.Equal(1, dispatcher.GetSinkMetrics("single").Discarded);
        Assert.Equal(2, dispatcher.GetSinkMetrics("single").Delivered);
        Assert.Equal(2, dispatcher.GetSinkMetrics("batch").Discarded);
        Assert.Equal(1, dispatcher.GetSinkMetrics("batch").Delivered);
    }
}
