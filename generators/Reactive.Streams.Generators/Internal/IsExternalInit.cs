// netstandard2.0 lacks the type the compiler needs for init accessors and records; the polyfill is internal.
namespace System.Runtime.CompilerServices;

internal static class IsExternalInit
{
}
