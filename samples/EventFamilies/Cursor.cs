namespace EventFamilies;

/// <summary>A position in a stream, <c>milliseconds-sequence</c>: the sample's own stand-in for the library's StreamId.</summary>
public readonly record struct Cursor(long Milliseconds, int Sequence)
{
    public override string ToString() => $"{Milliseconds}-{Sequence}";
}
