using Reactive.Streams;

namespace EventFamilies.Completion;

/// <summary>
/// How an execution ended. Every variant is parameterless, so the generator adds <c>FromWire</c>/<c>ToWire</c> and an
/// <c>Other</c> variant that keeps a value this code does not know (<c>"timed_out"</c> from a newer producer).
/// </summary>
[EventUnion]
public abstract partial record CompletionOutcome
{
    public sealed record Success : CompletionOutcome;

    public sealed record Failure : CompletionOutcome;

    public sealed record Cancelled : CompletionOutcome;
}
