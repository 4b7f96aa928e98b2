"""p3k-study: does hiring P3K change the performance of regional work units?"""

__version__ = "0.1.0"
