package org.ffafabric.manifest;

/** A manifest the fabric refuses, with the entry and field at fault in the message. */
public final class ManifestException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public ManifestException(final String message)
    {
        super(message);
    }
}
