namespace Reactive.Streams.Tests.Support;

/// <summary>
/// Tests that count the bytes their thread allocates: no other collection runs while they do, since another test's
/// <c>ActivityListener</c> or <c>MeterListener</c> turns on tracing and metrics in every stream of the process, and the
/// spans and tag lists they record are allocations too.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "allocation";
}
