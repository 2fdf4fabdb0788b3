"""Power (daya): the office UPS watched through NUT; banners, held jobs, a backup and a clean
shutdown during a power cut, and the record of every outage."""
