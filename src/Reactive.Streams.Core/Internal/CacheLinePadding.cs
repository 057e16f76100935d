using System.Runtime.InteropServices;

namespace Reactive.Streams.Internal;

/// <summary>
/// A cache line (64 bytes) of nothing, as a field: it keeps the fields before it off the cache line of whatever the
/// allocator puts after the object (<see cref="SharedLaneBuffer{T}"/>). A generic class cannot have an explicit layout
/// of its own, so the padding is a struct.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct CacheLinePadding
{
}
