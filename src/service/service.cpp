// The signing service (issue: signet serve) lives in this layer.
